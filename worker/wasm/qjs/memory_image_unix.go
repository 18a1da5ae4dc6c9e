//go:build unix && !linux

package qjs

func (m *mmapMemory) mapImage(*image) (bool, error) { return false, nil }
