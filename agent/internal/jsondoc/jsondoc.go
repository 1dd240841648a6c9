// Package jsondoc writes harden's JSON documents (plans, results, errors)
// the one way every verb writes them: indented, and with every list an
// array, never null, so a script can iterate any list it finds.
package jsondoc

import (
	"encoding/json"
	"io"
	"reflect"
)

// Write encodes v on w, indented, after turning its nil slices and maps
// into empty ones.
func Write(w io.Writer, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer && rv.IsValid() {
		// A copy that can be changed: the caller's value stays as it was.
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		v, rv = p.Interface(), p
	}
	fill(rv)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// fill replaces nil slices and maps reachable from v through pointers,
// structs and slices with empty ones. Fields JSON leaves out (unexported,
// tagged "-") and values behind interfaces are not touched.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fill(v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			if v.CanSet() && v.Type().Elem().Kind() != reflect.Uint8 {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	}
}
