package qjs

// The intrinsics that read an object's own properties in C, for the
// vat environment's harden: the loop JS runs for each object, as a few
// calls of the QuickJS API instead of a few dozen bytecodes.

const (
	tagObject = -1
	// exceptionValue is JS_EXCEPTION: a host function returns it when it
	// left an exception pending.
	exceptionValue = Value(uint64(tagException) << 32)
	// propGetSet is JS_PROP_GETSET in JSPropertyDescriptor.flags.
	propGetSet = 1 << 4
	// gpnStringsSymbols is JS_GPN_STRING_MASK | JS_GPN_SYMBOL_MASK: every
	// own key, as Reflect.ownKeys lists them.
	gpnStringsSymbols = 1<<0 | 1<<1
	// descSize is sizeof(JSPropertyDescriptor) in wasm32: int flags, then
	// value, getter and setter (8-byte JSValues, 8-byte aligned).
	descSize = 32
)

// refCounted tells whether v holds a reference QuickJS counts (an object,
// a string, a symbol, a big integer...).
func (v Value) refCounted() bool {
	t := v.tag()
	return t >= tagFirst && t < 0
}

// ownProps lists the own property keys (atoms) of v, an object, in
// Reflect.ownKeys order. The caller frees the table with freeProps. ok is
// false if QuickJS left an exception pending.
func (in *Instance) ownProps(v Value) (tab, n uint32, ok bool, err error) {
	sc := in.scratch()
	r, err := in.invoke(fnGetOwnPropertyNames, uint64(in.st.Ctx), uint64(sc), uint64(sc+4), uint64(v), gpnStringsSymbols)
	if err != nil || int32(r) < 0 {
		return 0, 0, false, err
	}
	mem := in.mod.Memory()
	tab, ok1 := mem.ReadUint32Le(sc)
	n, ok2 := mem.ReadUint32Le(sc + 4)
	if !ok1 || !ok2 {
		return 0, 0, false, in.kill(&TrapError{Msg: "qjs: property table out of bounds"})
	}
	return tab, n, true, nil
}

func (in *Instance) freeProps(tab, n uint32) error {
	_, err := in.invoke(fnFreePropertyEnum, uint64(in.st.Ctx), uint64(tab), uint64(n))
	return err
}

// atomAt is the i-th atom of a property table.
func (in *Instance) atomAt(tab, i uint32) (uint32, error) {
	a, ok := in.mod.Memory().ReadUint32Le(tab + 8*i + 4) // {bool is_enumerable; JSAtom atom;}
	if !ok {
		return 0, in.kill(&TrapError{Msg: "qjs: property table out of bounds"})
	}
	return a, nil
}

// desc is a property descriptor Go read and owns the values of.
type desc struct {
	flags                 uint32
	value, getter, setter Value
}

// ownProp reads the descriptor of v's own property atom; found is false
// if v has none, ok false if QuickJS left an exception pending.
func (in *Instance) ownProp(v Value, atom uint32) (d desc, found, ok bool, err error) {
	sc := in.scratch()
	r, err := in.invoke(fnGetOwnProperty, uint64(in.st.Ctx), uint64(sc), uint64(v), uint64(atom))
	if err != nil || int32(r) < 0 {
		return desc{}, false, false, err
	}
	if r == 0 {
		return desc{}, false, true, nil
	}
	mem := in.mod.Memory()
	b, okm := mem.Read(sc, descSize)
	if !okm {
		return desc{}, false, false, in.kill(&TrapError{Msg: "qjs: descriptor out of bounds"})
	}
	le64 := func(o int) Value {
		var x uint64
		for i := 7; i >= 0; i-- {
			x = x<<8 | uint64(b[o+i])
		}
		return Value(x)
	}
	d.flags = uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	d.value, d.getter, d.setter = le64(8), le64(16), le64(24)
	return d, true, true, nil
}

// release frees the values Go holds that QuickJS counts.
func (in *Instance) release(vs ...Value) error {
	for _, v := range vs {
		if v.refCounted() {
			if err := in.FreeValue(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// newArray returns a new array of vs, whose references it takes.
func (in *Instance) newArray(vs []Value) (Value, error) {
	ctx := uint64(in.st.Ctx)
	if len(vs) == 0 {
		r, err := in.invoke(fnNewArrayFrom, ctx, 0, 0)
		return Value(r), err
	}
	// Up to four values fit in the scratch slot; more go to a buffer.
	var buf uint32
	if len(vs) <= scratchSlot/8 {
		buf = in.scratch()
	} else {
		p, err := in.invoke(fnMalloc, uint64(8*len(vs)))
		if err != nil {
			return 0, err
		}
		if p == 0 {
			return 0, in.kill(ErrMemoryExceeded)
		}
		buf = uint32(p)
	}
	mem := in.mod.Memory()
	for i, v := range vs {
		if !mem.WriteUint64Le(buf+uint32(8*i), uint64(v)) {
			return 0, in.kill(&TrapError{Msg: "qjs: array buffer out of bounds"})
		}
	}
	r, err := in.invoke(fnNewArrayFrom, ctx, uint64(len(vs)), uint64(buf))
	if err == nil && buf != in.scratch() {
		err = in.free(buf)
	}
	return Value(r), err
}

// freezeOwn is OpFreezeOwn.
func (in *Instance) freezeOwn(v Value) (Value, error) {
	if v.tag() != tagObject {
		return Undefined, nil
	}
	if r, err := in.invoke(fnIsProxy, uint64(v)); err != nil || r&1 != 0 {
		return Undefined, err
	}
	ctx := uint64(in.st.Ctx)
	if r, err := in.invoke(fnFreezeObject, ctx, uint64(v)); err != nil || int32(r) < 0 {
		return exceptionValue, err
	}
	var kids []Value
	fail := func(err error) (Value, error) {
		if err == nil {
			err = in.release(kids...)
		}
		return exceptionValue, err
	}
	proto, err := in.invoke(fnGetPrototype, ctx, uint64(v))
	if err != nil {
		return 0, err
	}
	if Value(proto).tag() == tagObject {
		kids = append(kids, Value(proto))
	}
	tab, n, ok, err := in.ownProps(v)
	if err != nil || !ok {
		return fail(err)
	}
	for i := uint32(0); i < n; i++ {
		atom, err := in.atomAt(tab, i)
		if err != nil {
			return 0, err
		}
		d, found, ok, err := in.ownProp(v, atom)
		if err != nil || !ok {
			if err == nil {
				err = in.freeProps(tab, n)
			}
			return fail(err)
		}
		if !found {
			continue
		}
		vals := [...]Value{d.value, Undefined}
		if d.flags&propGetSet != 0 {
			vals = [...]Value{d.getter, d.setter}
			if err := in.release(d.value); err != nil {
				return 0, err
			}
		}
		for _, x := range vals {
			if x.tag() == tagObject {
				kids = append(kids, x)
			} else if err := in.release(x); err != nil {
				return 0, err
			}
		}
	}
	if err := in.freeProps(tab, n); err != nil {
		return 0, err
	}
	return in.newArray(kids)
}

const (
	propConfigurable = 1 << 0
	propWritable     = 1 << 1
	propEnumerable   = 1 << 2
	// atomTagInt marks the atom of an array index (JS_ATOM_TAG_INT).
	atomTagInt = 1 << 31
	tagString  = -7
)

// ownData is OpRecordData (array false) and OpArrayData.
func (in *Instance) ownData(v Value, array bool) (Value, error) {
	if v.tag() != tagObject {
		return Undefined, nil
	}
	if r, err := in.invoke(fnIsProxy, uint64(v)); err != nil || r&1 != 0 {
		return Undefined, err
	}
	ctx := uint64(in.st.Ctx)
	if r, err := in.invoke(fnIsExtensible, ctx, uint64(v)); err != nil || r != 0 {
		return Undefined, err
	}
	tab, n, ok, err := in.ownProps(v)
	if err != nil {
		return 0, err
	}
	if !ok {
		return exceptionValue, nil
	}
	var out []Value // what Go holds: the result's keys and values
	done := func(r Value, err error) (Value, error) {
		if err == nil {
			err = in.freeProps(tab, n)
		}
		if err == nil {
			err = in.release(out...)
		}
		return r, err
	}
	if array && n == 0 {
		return done(Undefined, nil)
	}
	for i := uint32(0); i < n; i++ {
		atom, err := in.atomAt(tab, i)
		if err != nil {
			return 0, err
		}
		isLength := array && i == n-1
		if array && !isLength && atom != atomTagInt|i || isLength && atom&atomTagInt != 0 {
			return done(Undefined, nil) // a hole, or a property but an index or length
		}
		d, found, ok, err := in.ownProp(v, atom)
		if err != nil {
			return 0, err
		}
		if !ok {
			return done(exceptionValue, nil)
		}
		if !found {
			return done(Undefined, nil)
		}
		frozen := d.flags&(propConfigurable|propWritable) == 0
		if d.flags&propGetSet != 0 || !frozen || !isLength && d.flags&propEnumerable == 0 {
			if err := in.release(d.getter, d.setter, d.value); err != nil {
				return 0, err
			}
			return done(Undefined, nil)
		}
		if isLength {
			if d.value.int() != int(n-1) {
				return done(Undefined, nil)
			}
			continue
		}
		if !array {
			key, err := in.invoke(fnAtomToValue, ctx, uint64(atom))
			if err != nil {
				return 0, err
			}
			if Value(key).tag() != tagString {
				if err := in.release(Value(key), d.value); err != nil {
					return 0, err
				}
				return done(Undefined, nil) // a symbol (or an exception)
			}
			out = append(out, Value(key))
		}
		out = append(out, d.value)
	}
	r, err := in.newArray(out)
	out = nil // the array took them, or freed them
	return done(r, err)
}
