//go:build !linux

package qjs

import "errors"

// image would be a snapshot's memory mapped copy-on-write into instances;
// only Linux has one (image_linux.go), elsewhere restores copy.
type image struct{}

func newImage([]byte) (*image, error) {
	return nil, errors.New("qjs: no snapshot images on this system")
}

func (*image) close() {}
