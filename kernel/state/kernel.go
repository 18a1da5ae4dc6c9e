package state

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cooper-kernel/cooper/vat"
)

// CapData is serialized data in the kernel's reference space.
type CapData struct {
	Body  string     `json:"body"`
	Slots []vat.KRef `json:"slots"`
}

// Message is a method call travelling through the kernel.
type Message struct {
	Methargs CapData  `json:"methargs"`
	Result   vat.KRef `json:"result,omitempty"`
}

// PromiseState is where a kernel promise stands.
type PromiseState string

// The states of a kernel promise.
const (
	Unresolved PromiseState = "unresolved"
	Fulfilled  PromiseState = "fulfilled"
	Rejected   PromiseState = "rejected"
)

// Promise is a kernel promise record.
type Promise struct {
	State       PromiseState
	Decider     vat.ID   // unresolved only; "" while no vat may resolve it
	Subscribers []vat.ID // unresolved only
	Data        CapData  // settled only
	RefCount    uint64
}

// --- objects ---

// AllocateObject creates a kernel object exported by owner.
func (s *State) AllocateObject(owner vat.ID) vat.KRef {
	ko := vat.MakeKRef(vat.Object, s.allocate("ko.nextID"))
	s.kv.Set(string(ko)+".owner", string(owner))
	s.kv.Set(string(ko)+".refCount", "0")
	return ko
}

// ObjectOwner returns the vat exporting ko; false once that vat is gone.
func (s *State) ObjectOwner(ko vat.KRef) (vat.ID, bool) {
	v, ok := s.kv.Get(string(ko) + ".owner")
	return vat.ID(v), ok
}

// OrphanObject forgets ko's owner: sends to it now reject.
func (s *State) OrphanObject(ko vat.KRef) { s.kv.Delete(string(ko) + ".owner") }

// RefCount returns the reference count of a kernel object or promise.
func (s *State) RefCount(kref vat.KRef) uint64 {
	v, ok := s.kv.Get(string(kref) + ".refCount")
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		panic(fmt.Errorf("%w: %s.refCount = %q", ErrCorrupt, kref, v))
	}
	return n
}

// SetRefCount stores the reference count of a kernel object or promise.
func (s *State) SetRefCount(kref vat.KRef, n uint64) { s.setUint(string(kref)+".refCount", n) }

// Exists reports whether a kernel object or promise has a record.
func (s *State) Exists(kref vat.KRef) bool { return s.kv.Has(string(kref) + ".refCount") }

// --- device nodes ---

// AllocateDeviceNode creates a kernel device node owned by device d.
func (s *State) AllocateDeviceNode(d vat.DeviceID) vat.KRef {
	kd := vat.MakeKRef(vat.Device, s.allocate("kd.nextID"))
	s.kv.Set(string(kd)+".owner", string(d))
	return kd
}

// AddDeviceCList enters kref ↔ dref in device d's c-list.
func (s *State) AddDeviceCList(d vat.DeviceID, kref vat.KRef, dref vat.VRef) {
	s.kv.Set(string(d)+".c."+string(dref), string(kref))
	s.kv.Set(string(d)+".c."+string(kref), "R "+string(dref))
}

// DeviceCListKRef returns the kernel ref of dref in device d's c-list.
func (s *State) DeviceCListKRef(d vat.DeviceID, dref vat.VRef) (vat.KRef, bool) {
	v, ok := s.kv.Get(string(d) + ".c." + string(dref))
	return vat.KRef(v), ok
}

// DeviceNodeOwner returns the device owning kd.
func (s *State) DeviceNodeOwner(kd vat.KRef) (vat.DeviceID, bool) {
	v, ok := s.kv.Get(string(kd) + ".owner")
	return vat.DeviceID(v), ok
}

// --- promises ---

// AllocatePromise creates an unresolved kernel promise decided by decider ("" for none).
func (s *State) AllocatePromise(decider vat.ID) vat.KRef {
	kp := vat.MakeKRef(vat.Promise, s.allocate("kp.nextID"))
	p := string(kp)
	s.kv.Set(p+".state", string(Unresolved))
	s.kv.Set(p+".decider", string(decider))
	s.kv.Set(p+".subscribers", "")
	s.kv.Set(p+".queue.nextID", "0")
	s.kv.Set(p+".refCount", "0")
	return kp
}

// GetPromise reads a promise record; false if it does not exist.
func (s *State) GetPromise(kp vat.KRef) (Promise, bool) {
	p := string(kp)
	st, ok := s.kv.Get(p + ".state")
	if !ok {
		return Promise{}, false
	}
	pr := Promise{State: PromiseState(st), RefCount: s.RefCount(kp)}
	switch pr.State {
	case Unresolved:
		pr.Decider = vat.ID(s.get(p + ".decider"))
		for _, v := range commaSplit(s.get(p + ".subscribers")) {
			pr.Subscribers = append(pr.Subscribers, vat.ID(v))
		}
	case Fulfilled, Rejected:
		pr.Data.Body = s.get(p + ".data.body")
		for _, r := range commaSplit(s.get(p + ".data.slots")) {
			pr.Data.Slots = append(pr.Data.Slots, parseKRef(p+".data.slots", r))
		}
	default:
		panic(fmt.Errorf("%w: %s.state = %q", ErrCorrupt, kp, st))
	}
	return pr, true
}

// PromiseState returns only the state of kp ("" if it does not exist).
func (s *State) PromiseState(kp vat.KRef) PromiseState {
	v, _ := s.kv.Get(string(kp) + ".state")
	return PromiseState(v)
}

// SetDecider changes who may resolve kp.
func (s *State) SetDecider(kp vat.KRef, decider vat.ID) {
	s.kv.Set(string(kp)+".decider", string(decider))
}

// AddSubscriber adds id to the vats notified when kp resolves.
func (s *State) AddSubscriber(kp vat.KRef, id vat.ID) {
	key := string(kp) + ".subscribers"
	subs := commaSplit(s.get(key))
	for _, x := range subs {
		if x == string(id) {
			return
		}
	}
	s.kv.Set(key, strings.Join(append(subs, string(id)), ","))
}

// EnqueueOnPromise appends msg to the messages waiting for kp.
func (s *State) EnqueueOnPromise(kp vat.KRef, msg Message) {
	n := s.allocate(string(kp) + ".queue.nextID")
	s.setJSON(string(kp)+".queue."+strconv.FormatUint(n, 10), msg)
}

// PromiseQueue returns the messages waiting for kp, in order.
func (s *State) PromiseQueue(kp vat.KRef) []Message {
	n := s.getUint(string(kp) + ".queue.nextID")
	msgs := make([]Message, 0, n)
	for i := uint64(0); i < n; i++ {
		var m Message
		s.getJSON(string(kp)+".queue."+strconv.FormatUint(i, 10), &m)
		msgs = append(msgs, m)
	}
	return msgs
}

// ClearPromiseQueue forgets the messages waiting for kp.
func (s *State) ClearPromiseQueue(kp vat.KRef) {
	p := string(kp)
	n := s.getUint(p + ".queue.nextID")
	for i := uint64(0); i < n; i++ {
		s.kv.Delete(p + ".queue." + strconv.FormatUint(i, 10))
	}
	s.kv.Set(p+".queue.nextID", "0")
}

// ResolvePromise settles kp with data, clearing its decider, subscribers and
// queue (the caller has requeued the messages).
func (s *State) ResolvePromise(kp vat.KRef, rejected bool, data CapData) {
	p := string(kp)
	s.ClearPromiseQueue(kp)
	s.kv.Delete(p + ".queue.nextID")
	s.kv.Delete(p + ".decider")
	s.kv.Delete(p + ".subscribers")
	st := Fulfilled
	if rejected {
		st = Rejected
	}
	s.kv.Set(p+".state", string(st))
	s.kv.Set(p+".data.body", data.Body)
	s.kv.Set(p+".data.slots", joinKRefs(data.Slots))
}

// DeletePromise removes every key of kp.
func (s *State) DeletePromise(kp vat.KRef) {
	p := string(kp)
	del := func(key string) {
		if s.kv.Has(key) {
			s.kv.Delete(key)
		}
	}
	n := s.getUintOr(p+".queue.nextID", 0)
	for i := uint64(0); i < n; i++ {
		del(p + ".queue." + strconv.FormatUint(i, 10))
	}
	for _, suffix := range []string{".data.body", ".data.slots", ".decider", ".pinned", ".queue.nextID", ".refCount", ".state", ".subscribers"} {
		del(p + suffix)
	}
}

// Pins returns how many references to kp the host holds.
func (s *State) Pins(kp vat.KRef) uint64 {
	v, ok := s.kv.Get(string(kp) + ".pinned")
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		panic(fmt.Errorf("%w: %s.pinned = %q", ErrCorrupt, kp, v))
	}
	return n
}

// SetPins stores how many references to kp the host holds.
func (s *State) SetPins(kp vat.KRef, n uint64) {
	if n == 0 {
		s.kv.Delete(string(kp) + ".pinned")
		return
	}
	s.setUint(string(kp)+".pinned", n)
}

func joinKRefs(rs []vat.KRef) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

// --- run queue ---

// ItemType names a kind of run-queue item.
type ItemType string

// The kinds of run-queue item.
const (
	ItemSend      ItemType = "send"
	ItemNotify    ItemType = "notify"
	ItemCreateVat ItemType = "create-vat"
)

// RunQueueItem is one unit of work on the run queue.
type RunQueueItem struct {
	Type ItemType `json:"type"`
	// send
	Target vat.KRef `json:"target,omitempty"`
	Msg    *Message `json:"msg,omitempty"`
	// notify, create-vat
	VatID vat.ID   `json:"vatID,omitempty"`
	KPID  vat.KRef `json:"kpid,omitempty"`
	// create-vat: the definition to create; upgrade-vat: the new source
	// and parameters
	Source  *Source     `json:"source,omitempty"`
	Options *VatOptions `json:"options,omitempty"`
	Params  *CapData    `json:"vatParameters,omitempty"`
	// upgrade-vat: the ID vat-admin waits on and the message promises the
	// old incarnation decided are rejected with
	UpgradeID      string `json:"upgradeID,omitempty"`
	UpgradeMessage string `json:"upgradeMessage,omitempty"`
}

func (s *State) runQueueBounds() (head, tail uint64) {
	var ht [2]uint64
	s.getJSON("runQueue", &ht)
	if ht[0] > ht[1] {
		panic(fmt.Errorf("%w: runQueue = %q: head after tail", ErrCorrupt, s.get("runQueue")))
	}
	return ht[0], ht[1]
}

// RunQueueLength returns the number of items waiting.
func (s *State) RunQueueLength() uint64 {
	h, t := s.runQueueBounds()
	return t - h
}

// PushRunQueue appends an item.
func (s *State) PushRunQueue(item RunQueueItem) {
	h, t := s.runQueueBounds()
	s.setJSON("runQueue."+strconv.FormatUint(t, 10), item)
	s.kv.Set("runQueue", fmt.Sprintf("[%d,%d]", h, t+1))
}

// PopRunQueue removes and returns the first item.
func (s *State) PopRunQueue() (RunQueueItem, bool) {
	h, t := s.runQueueBounds()
	if h == t {
		return RunQueueItem{}, false
	}
	key := "runQueue." + strconv.FormatUint(h, 10)
	var item RunQueueItem
	s.getJSON(key, &item)
	if !item.complete() {
		panic(fmt.Errorf("%w: %s = %s: incomplete %q item", ErrCorrupt, key, s.get(key), item.Type))
	}
	s.kv.Delete(key)
	s.kv.Set("runQueue", fmt.Sprintf("[%d,%d]", h+1, t))
	return item, true
}

// complete reports whether the item has every field its type needs.
func (it *RunQueueItem) complete() bool {
	switch it.Type {
	case ItemSend:
		return it.Target != "" && it.Msg != nil
	case ItemNotify:
		return it.VatID != "" && it.KPID != ""
	case ItemCreateVat:
		return it.VatID != "" && it.Source != nil && it.Options != nil && it.Params != nil
	case ItemUpgradeVat:
		return it.VatID != "" && it.Source != nil && it.Params != nil && it.UpgradeID != ""
	}
	return false
}

// RunQueue returns every waiting item, in order.
func (s *State) RunQueue() []RunQueueItem {
	h, t := s.runQueueBounds()
	items := make([]RunQueueItem, 0, t-h)
	for i := h; i < t; i++ {
		var item RunQueueItem
		s.getJSON("runQueue."+strconv.FormatUint(i, 10), &item)
		items = append(items, item)
	}
	return items
}

// --- devices ---

// AddDevice returns a fresh device ID, registered under name.
func (s *State) AddDevice(name string) vat.DeviceID {
	id := vat.DeviceID("d" + strconv.FormatUint(s.allocate("device.nextID"), 10))
	var names []string
	s.getJSON("device.names", &names)
	s.setJSON("device.names", append(names, name))
	s.kv.Set("device.name."+name, string(id))
	s.kv.Set(string(id)+".o.nextID", "1")
	return id
}

// DeviceNames returns the devices' names in creation order.
func (s *State) DeviceNames() []string {
	var names []string
	s.getJSON("device.names", &names)
	return names
}

// DeviceIDByName returns the ID of the device called name.
func (s *State) DeviceIDByName(name string) (vat.DeviceID, bool) {
	v, ok := s.kv.Get("device.name." + name)
	return vat.DeviceID(v), ok
}

// DeviceState reads a device's own state.
func (s *State) DeviceState(d vat.DeviceID, key string) (string, bool) {
	return s.kv.Get(string(d) + ".deviceState." + key)
}

// SetDeviceState writes a device's own state.
func (s *State) SetDeviceState(d vat.DeviceID, key, value string) {
	s.kv.Set(string(d)+".deviceState."+key, value)
}

// --- meters ---

// Meter is a budget of computrons shared by the vats that use it.
type Meter struct {
	Unlimited bool
	Remaining uint64
	Threshold uint64
}

// AllocateMeter creates a meter.
func (s *State) AllocateMeter(m Meter) string {
	id := "m" + strconv.FormatUint(s.allocate("meter.nextID"), 10)
	s.SetMeter(id, m)
	return id
}

// GetMeter reads a meter; false if it does not exist.
func (s *State) GetMeter(id string) (Meter, bool) {
	rem, ok := s.kv.Get(id + ".remaining")
	if !ok {
		return Meter{}, false
	}
	m := Meter{Threshold: s.getUint(id + ".threshold")}
	if rem == "unlimited" {
		m.Unlimited = true
	} else {
		n, err := strconv.ParseUint(rem, 10, 64)
		if err != nil {
			panic(fmt.Errorf("%w: %s.remaining = %q", ErrCorrupt, id, rem))
		}
		m.Remaining = n
	}
	return m, true
}

// SetMeter writes a meter.
func (s *State) SetMeter(id string, m Meter) {
	if m.Unlimited {
		s.kv.Set(id+".remaining", "unlimited")
	} else {
		s.setUint(id+".remaining", m.Remaining)
	}
	s.setUint(id+".threshold", m.Threshold)
}

// --- bundles ---

// SetNamedBundle maps a bundle name to its ID.
func (s *State) SetNamedBundle(name, id string) { s.kv.Set("namedBundleID."+name, id) }

// NamedBundle returns the ID of the bundle called name.
func (s *State) NamedBundle(name string) (string, bool) { return s.kv.Get("namedBundleID." + name) }

// MarshalCapData encodes kernel capdata as stored in run-queue items.
func MarshalCapData(cd CapData) string {
	b, _ := json.Marshal(cd)
	return string(b)
}

// CountedRefs returns every kernel object and promise that has a reference
// count, in kref order (objects, then promises).
func (s *State) CountedRefs() []vat.KRef {
	var out []vat.KRef
	for _, prefix := range []string{"ko", "kp"} {
		var refs []vat.KRef
		for _, k := range s.kv.KeysWithPrefix(prefix) {
			if r, ok := strings.CutSuffix(k, ".refCount"); ok {
				refs = append(refs, vat.KRef(r))
			}
		}
		slices.SortFunc(refs, func(a, b vat.KRef) int { return cmp.Compare(a.Num(), b.Num()) })
		out = append(out, refs...)
	}
	return out
}
