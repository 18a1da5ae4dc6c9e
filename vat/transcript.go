package vat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/cooper-kernel/cooper/capdata"
)

// TranscriptEntry records one delivery: what was delivered, every syscall
// the vat made with the result it got, and how the delivery ended.
//
// Its encoding is compact JSON, one array per value:
//
//	entry      {"d":DELIVERY,"sc":[[SYSCALL,RESULT],...],"r":OUTCOME}
//	CAP        [body, slot...]
//	DELIVERY   ["message",target,CAP,result|null] | ["notify",[[vpid,rejected,CAP],...]] | ["startVat",CAP] | ["startVat",CAP,incarnation]
//	SYSCALL    ["send",target,CAP,result|null] | ["subscribe",vpid] | ["resolve",[[vpid,rejected,CAP],...]]
//	           ["exit",failure,CAP] | ["vatstoreGet",key] | ["vatstoreSet",key,value]
//	           ["vatstoreDelete",key] | ["vatstoreGetNextKey",key] | ["callNow",target,method,CAP]
//	RESULT     ["ok"] | ["ok",string] | ["ok",CAP] | ["error",message]
//	OUTCOME    ["ok",computrons] | ["error",message,computrons]
type TranscriptEntry struct {
	Delivery Delivery
	Syscalls []SyscallRecord
	Outcome  Outcome
}

// SyscallRecord is one syscall and the result the kernel gave it.
type SyscallRecord struct {
	Syscall Syscall
	Result  SyscallResult
}

// ErrMalformedTranscript is wrapped by every transcript decoding error.
var ErrMalformedTranscript = errors.New("vat: malformed transcript entry")

// Encode returns the compact JSON encoding of e.
func (e *TranscriptEntry) Encode() []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"d":`...)
	b = AppendDelivery(b, e.Delivery)
	b = append(b, `,"sc":[`...)
	for i, sc := range e.Syscalls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = AppendSyscall(b, sc.Syscall)
		b = append(b, ',')
		b = appendResult(b, sc.Syscall.Kind, sc.Result)
		b = append(b, ']')
	}
	b = append(b, `],"r":`...)
	b = AppendOutcome(b, e.Outcome)
	return append(b, '}')
}

// AppendDelivery appends the JSON form of d.
func AppendDelivery(b []byte, d Delivery) []byte {
	b = append(b, '[')
	b = appendString(b, string(d.Kind))
	switch d.Kind {
	case DeliverMessage:
		b = append(b, ',')
		b = appendString(b, string(d.Target))
		b = append(b, ',')
		b = appendCap(b, d.Methargs)
		b = append(b, ',')
		b = appendOptRef(b, d.Result)
	case DeliverNotify:
		b = append(b, ',')
		b = appendResolutions(b, d.Resolutions)
	case DeliverStartVat:
		b = append(b, ',')
		b = appendCap(b, d.VatParameters)
		if d.Incarnation > 0 {
			b = append(b, ',')
			b = strconv.AppendUint(b, d.Incarnation, 10)
		}
	}
	return append(b, ']')
}

// AppendSyscall appends the JSON form of s.
func AppendSyscall(b []byte, s Syscall) []byte {
	b = append(b, '[')
	b = appendString(b, string(s.Kind))
	switch s.Kind {
	case SysSend:
		b = append(b, ',')
		b = appendString(b, string(s.Target))
		b = append(b, ',')
		b = appendCap(b, s.Methargs)
		b = append(b, ',')
		b = appendOptRef(b, s.Result)
	case SysSubscribe:
		b = append(b, ',')
		b = appendString(b, string(s.VPID))
	case SysResolve:
		b = append(b, ',')
		b = appendResolutions(b, s.Resolutions)
	case SysExit:
		b = append(b, ',')
		b = strconv.AppendBool(b, s.Failure)
		b = append(b, ',')
		b = appendCap(b, s.Info)
	case SysVatstoreGet, SysVatstoreDelete, SysVatstoreGetNextKey:
		b = append(b, ',')
		b = appendString(b, s.Key)
	case SysVatstoreSet:
		b = append(b, ',')
		b = appendString(b, s.Key)
		b = append(b, ',')
		b = appendString(b, s.Value)
	case SysCallNow:
		b = append(b, ',')
		b = appendString(b, string(s.Target))
		b = append(b, ',')
		b = appendString(b, s.Method)
		b = append(b, ',')
		b = appendCap(b, s.Methargs)
	}
	return append(b, ']')
}

func appendResult(b []byte, kind SyscallKind, r SyscallResult) []byte {
	if r.Err != "" {
		b = append(b, `["error",`...)
		b = appendString(b, r.Err)
		return append(b, ']')
	}
	switch {
	case (kind == SysVatstoreGet || kind == SysVatstoreGetNextKey) && r.Found:
		b = append(b, `["ok",`...)
		b = appendString(b, r.Value)
		return append(b, ']')
	case kind == SysCallNow:
		b = append(b, `["ok",`...)
		b = appendCap(b, r.Data)
		return append(b, ']')
	}
	return append(b, `["ok"]`...)
}

// AppendOutcome appends the JSON form of o.
func AppendOutcome(b []byte, o Outcome) []byte {
	if o.Err != "" {
		b = append(b, `["error",`...)
		b = appendString(b, o.Err)
		b = append(b, ',')
	} else {
		b = append(b, `["ok",`...)
	}
	b = strconv.AppendUint(b, o.Computrons, 10)
	return append(b, ']')
}

func appendCap(b []byte, c CapData) []byte {
	b = append(b, '[')
	b = appendString(b, c.Body)
	for _, s := range c.Slots {
		b = append(b, ',')
		b = appendString(b, string(s))
	}
	return append(b, ']')
}

func appendOptRef(b []byte, r VRef) []byte {
	if r == "" {
		return append(b, "null"...)
	}
	return appendString(b, string(r))
}

func appendResolutions(b []byte, rs []Resolution) []byte {
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, string(r.VPID))
		b = append(b, ',')
		b = strconv.AppendBool(b, r.Rejected)
		b = append(b, ',')
		b = appendCap(b, r.Data)
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendString appends s as a JSON string, escaping as JSON.stringify does.
func appendString(b []byte, s string) []byte { return capdata.AppendJSONString(b, s) }

// DecodeTranscriptEntry parses the encoding made by [TranscriptEntry.Encode].
func DecodeTranscriptEntry(data []byte) (*TranscriptEntry, error) {
	var raw struct {
		D  json.RawMessage   `json:"d"`
		SC []json.RawMessage `json:"sc"`
		R  json.RawMessage   `json:"r"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedTranscript, err)
	}
	if raw.D == nil || raw.R == nil {
		return nil, fmt.Errorf("%w: missing field", ErrMalformedTranscript)
	}
	e := &TranscriptEntry{}
	var err error
	if e.Delivery, err = DecodeDelivery(raw.D); err != nil {
		return nil, err
	}
	for i, r := range raw.SC {
		var pair []json.RawMessage
		if err := json.Unmarshal(r, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("%w: syscall %d is not a [syscall, result] pair", ErrMalformedTranscript, i)
		}
		sc, err := DecodeSyscall(pair[0])
		if err != nil {
			return nil, fmt.Errorf("syscall %d: %w", i, err)
		}
		res, err := decodeResult(pair[1])
		if err != nil {
			return nil, fmt.Errorf("syscall %d: %w", i, err)
		}
		e.Syscalls = append(e.Syscalls, SyscallRecord{Syscall: sc, Result: res})
	}
	if e.Outcome, err = decodeOutcome(raw.R); err != nil {
		return nil, err
	}
	return e, nil
}

// arr is a decoding cursor over a JSON array.
type arr struct {
	items []json.RawMessage
	err   error
}

func newArr(data []byte) *arr {
	a := &arr{}
	if err := json.Unmarshal(data, &a.items); err != nil {
		a.err = fmt.Errorf("%w: %w", ErrMalformedTranscript, err)
	}
	return a
}

func (a *arr) need(n int) bool {
	if a.err == nil && len(a.items) != n {
		a.err = fmt.Errorf("%w: want %d elements, got %d", ErrMalformedTranscript, n, len(a.items))
	}
	return a.err == nil
}

// str reads a string element; escaped lone surrogates are kept (as
// WTF-8), so a string a vat wrote comes back exactly.
func (a *arr) str(i int) string {
	if a.err != nil {
		return ""
	}
	s, err := capdata.UnquoteJSONString(string(bytes.TrimSpace(a.items[i])))
	if err != nil {
		a.err = fmt.Errorf("%w: element %d: %w", ErrMalformedTranscript, i, err)
	}
	return s
}

func (a *arr) optRef(i int) VRef {
	if a.err == nil && string(a.items[i]) == "null" {
		return ""
	}
	return VRef(a.str(i))
}

func (a *arr) boolean(i int) bool {
	var v bool
	if a.err == nil {
		if err := json.Unmarshal(a.items[i], &v); err != nil {
			a.err = fmt.Errorf("%w: element %d: %w", ErrMalformedTranscript, i, err)
		}
	}
	return v
}

func (a *arr) uint(i int) uint64 {
	var v uint64
	if a.err == nil {
		if err := json.Unmarshal(a.items[i], &v); err != nil {
			a.err = fmt.Errorf("%w: element %d: %w", ErrMalformedTranscript, i, err)
		}
	}
	return v
}

func (a *arr) capdata(i int) CapData {
	if a.err != nil {
		return CapData{}
	}
	parts := newArr(a.items[i])
	if parts.err != nil || len(parts.items) == 0 {
		a.err = fmt.Errorf("%w: element %d is not capdata", ErrMalformedTranscript, i)
		return CapData{}
	}
	c := CapData{Body: parts.str(0)}
	if len(parts.items) > 1 {
		c.Slots = make([]VRef, len(parts.items)-1)
		for j := range c.Slots {
			c.Slots[j] = VRef(parts.str(j + 1))
		}
	}
	if parts.err != nil {
		a.err = fmt.Errorf("%w: element %d is not capdata", ErrMalformedTranscript, i)
		return CapData{}
	}
	return c
}

func (a *arr) resolutions(i int) []Resolution {
	if a.err != nil {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(a.items[i], &items); err != nil {
		a.err = fmt.Errorf("%w: resolutions: %w", ErrMalformedTranscript, err)
		return nil
	}
	rs := make([]Resolution, len(items))
	for j, it := range items {
		r := newArr(it)
		if r.need(3) {
			rs[j] = Resolution{VPID: VRef(r.str(0)), Rejected: r.boolean(1), Data: r.capdata(2)}
		}
		if r.err != nil {
			a.err = r.err
			return nil
		}
	}
	return rs
}

// DecodeDelivery parses the JSON form made by [AppendDelivery].
func DecodeDelivery(data []byte) (Delivery, error) {
	a := newArr(data)
	if a.err == nil && len(a.items) == 0 {
		a.err = fmt.Errorf("%w: empty delivery", ErrMalformedTranscript)
	}
	if a.err != nil {
		return Delivery{}, a.err
	}
	d := Delivery{Kind: DeliveryKind(a.str(0))}
	switch d.Kind {
	case DeliverMessage:
		if a.need(4) {
			d.Target, d.Methargs, d.Result = VRef(a.str(1)), a.capdata(2), a.optRef(3)
		}
	case DeliverNotify:
		if a.need(2) {
			d.Resolutions = a.resolutions(1)
		}
	case DeliverStartVat:
		if len(a.items) == 3 {
			if d.Incarnation = a.uint(2); d.Incarnation == 0 && a.err == nil {
				a.err = fmt.Errorf("%w: startVat of incarnation 0 written with its number", ErrMalformedTranscript)
			}
			d.VatParameters = a.capdata(1)
		} else if a.need(2) {
			d.VatParameters = a.capdata(1)
		}
	default:
		return Delivery{}, fmt.Errorf("%w: unknown delivery %q", ErrMalformedTranscript, d.Kind)
	}
	return d, a.err
}

// DecodeSyscall parses the JSON form made by [AppendSyscall].
func DecodeSyscall(data []byte) (Syscall, error) {
	a := newArr(data)
	if a.err == nil && len(a.items) == 0 {
		a.err = fmt.Errorf("%w: empty syscall", ErrMalformedTranscript)
	}
	if a.err != nil {
		return Syscall{}, a.err
	}
	s := Syscall{Kind: SyscallKind(a.str(0))}
	switch s.Kind {
	case SysSend:
		if a.need(4) {
			s.Target, s.Methargs, s.Result = VRef(a.str(1)), a.capdata(2), a.optRef(3)
		}
	case SysSubscribe:
		if a.need(2) {
			s.VPID = VRef(a.str(1))
		}
	case SysResolve:
		if a.need(2) {
			s.Resolutions = a.resolutions(1)
		}
	case SysExit:
		if a.need(3) {
			s.Failure, s.Info = a.boolean(1), a.capdata(2)
		}
	case SysVatstoreGet, SysVatstoreDelete, SysVatstoreGetNextKey:
		if a.need(2) {
			s.Key = a.str(1)
		}
	case SysVatstoreSet:
		if a.need(3) {
			s.Key, s.Value = a.str(1), a.str(2)
		}
	case SysCallNow:
		if a.need(4) {
			s.Target, s.Method, s.Methargs = VRef(a.str(1)), a.str(2), a.capdata(3)
		}
	default:
		return Syscall{}, fmt.Errorf("%w: unknown syscall %q", ErrMalformedTranscript, s.Kind)
	}
	return s, a.err
}

func decodeResult(data []byte) (SyscallResult, error) {
	a := newArr(data)
	if a.err != nil {
		return SyscallResult{}, a.err
	}
	if len(a.items) == 0 || len(a.items) > 2 {
		return SyscallResult{}, fmt.Errorf("%w: syscall result has %d elements", ErrMalformedTranscript, len(a.items))
	}
	var r SyscallResult
	switch status := a.str(0); status {
	case "ok":
		if len(a.items) == 2 {
			if len(a.items[1]) > 0 && a.items[1][0] == '[' {
				r.Data = a.capdata(1)
			} else {
				r.Value, r.Found = a.str(1), true
			}
		}
	case "error":
		if a.need(2) {
			r.Err = a.str(1)
		}
	default:
		if a.err == nil {
			return r, fmt.Errorf("%w: syscall result status %q", ErrMalformedTranscript, status)
		}
	}
	return r, a.err
}

func decodeOutcome(data []byte) (Outcome, error) {
	a := newArr(data)
	if a.err != nil {
		return Outcome{}, a.err
	}
	var o Outcome
	if len(a.items) == 0 {
		return o, fmt.Errorf("%w: empty outcome", ErrMalformedTranscript)
	}
	switch status := a.str(0); status {
	case "ok":
		if a.need(2) {
			o.Computrons = a.uint(1)
		}
	case "error":
		if a.need(3) {
			o.Err, o.Computrons = a.str(1), a.uint(2)
		}
	default:
		if a.err == nil {
			return o, fmt.Errorf("%w: outcome status %q", ErrMalformedTranscript, status)
		}
	}
	return o, a.err
}

// AppendSyscallResult appends the JSON form of the result r of a syscall of kind.
func AppendSyscallResult(b []byte, kind SyscallKind, r SyscallResult) []byte {
	return appendResult(b, kind, r)
}
