package qjs

import "testing"

// TestPropertyIntrinsics: OpFreezeOwn, OpRecordData and OpArrayData on
// the values they read and those they leave to JS (proxies, primitives,
// anything but plain frozen data), as JS sees their answers.
func TestPropertyIntrinsics(t *testing.T) {
	in := newInstance(t, Options{})
	f := glue(t, in, `(host) => (s) => {
		const show = v => {
			if (v === undefined) return 'undefined';
			return JSON.stringify(v, (k, x) => x === Object.prototype ? 'Object.prototype'
				: x === Array.prototype ? 'Array.prototype'
				: x === Function.prototype ? 'Function.prototype'
				: typeof x === 'function' ? 'fn ' + x.name
				: typeof x === 'symbol' ? String(x) : x);
		};
		const cases = {
			freezeRecord: () => { const o = { a: 1, b: { c: 2 }, s: 'x' }; const r = host(-4, o); return [show(r), Object.isFrozen(o), Object.isFrozen(o.b)]; },
			freezeAccessors: () => {
				const o = Object.create(null);
				Object.defineProperty(o, 'g', { get: function getter() { throw Error('called'); }, set: function setter(v) {}, enumerable: true });
				o[Symbol.iterator] = [1];
				o[2] = {};
				return [show(host(-4, o)), Object.isFrozen(o)];
			},
			freezeFunction: () => { function named() {} return [show(host(-4, named)), Object.isFrozen(named)]; },
			freezeProxy: () => { const p = new Proxy({}, {}); return [show(host(-4, p)), Object.isFrozen(p)]; },
			freezePrimitive: () => [show(host(-4, 'str')), show(host(-4, 1))],
			freezeTypedArray: () => { try { host(-4, new Uint8Array(2)); return 'no error'; } catch (e) { return String(e); } },
			record: () => show(host(-5, Object.freeze({ b: 1, a: 'x', 10: [2], 9: null }))),
			recordEmpty: () => show(host(-5, Object.freeze({}))),
			recordNotFrozen: () => show(host(-5, { a: 1 })),
			recordSealed: () => show(host(-5, Object.seal({ a: 1 }))),
			recordSymbolKey: () => show(host(-5, Object.freeze({ [Symbol('s')]: 1 }))),
			recordAccessor: () => show(host(-5, Object.freeze(Object.defineProperty({}, 'g', { get: () => 1, enumerable: true })))),
			recordHidden: () => show(host(-5, Object.freeze(Object.defineProperty({ a: 1 }, 'h', { value: 1 })))),
			recordProxy: () => show(host(-5, new Proxy(Object.freeze({ a: 1 }), {}))),
			array: () => show(host(-6, Object.freeze([1, 'x', { a: 1 }, [2]]))),
			arrayEmpty: () => show(host(-6, Object.freeze([]))),
			arrayHole: () => show(host(-6, Object.freeze([1, , 3]))),
			arrayLonger: () => { const a = [1]; a.length = 3; return show(host(-6, Object.freeze(a))); },
			arrayExtra: () => { const a = [1]; a.x = 2; return show(host(-6, Object.freeze(a))); },
			arraySymbol: () => { const a = [1]; a[Symbol.iterator] = 2; return show(host(-6, Object.freeze(a))); },
			arrayNotFrozen: () => show(host(-6, [1, 2])),
			arrayAccessor: () => show(host(-6, Object.freeze(Object.defineProperty([1], 0, { get: () => 1, enumerable: true })))),
			arrayProxy: () => show(host(-6, new Proxy(Object.freeze([1]), {}))),
		};
		return JSON.stringify(cases[s]());
	}`)
	for _, tc := range []struct{ name, want string }{
		{"freezeRecord", `["[\"Object.prototype\",{\"c\":2}]",true,false]`},
		{"freezeAccessors", `["[{},\"fn getter\",\"fn setter\",[1]]",true]`},
		{"freezeFunction", `["[\"Function.prototype\",{}]",true]`},
		{"freezeProxy", `["undefined",false]`},
		{"freezePrimitive", `["undefined","undefined"]`},
		{"freezeTypedArray", `"TypeError: invalid descriptor flags"`},
		{"record", `"[\"9\",null,\"10\",[2],\"b\",1,\"a\",\"x\"]"`},
		{"recordEmpty", `"[]"`},
		{"recordNotFrozen", `"undefined"`},
		{"recordSealed", `"undefined"`},
		{"recordSymbolKey", `"undefined"`},
		{"recordAccessor", `"undefined"`},
		{"recordHidden", `"undefined"`},
		{"recordProxy", `"undefined"`},
		{"array", `"[1,\"x\",{\"a\":1},[2]]"`},
		{"arrayEmpty", `"[]"`},
		{"arrayHole", `"undefined"`},
		{"arrayLonger", `"undefined"`},
		{"arrayExtra", `"undefined"`},
		{"arraySymbol", `"undefined"`},
		{"arrayNotFrozen", `"undefined"`},
		{"arrayAccessor", `"undefined"`},
		{"arrayProxy", `"undefined"`},
	} {
		got, err := in.Call(f, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("%s: %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}
