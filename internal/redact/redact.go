// Package redact prints values for humans without ever printing a secret.
//
// fmt calls a field's Format or String method only in some paths: with an
// ill-suited verb (%s on a pointer to a struct, say) it prints the pointed-to
// struct raw, without calling any method of its fields. So a type that holds
// a secret, however deep, must format itself; Write does that by walking the
// exported fields itself and asking each value that knows how to hide itself
// (fmt.Formatter, fmt.Stringer, error) to do so.
package redact

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// Write writes v as {Field:value …} with type name, for every verb. Values
// implementing fmt.Formatter or fmt.Stringer (and errors) are printed through
// those methods with %v, so types such as escott.Secret redact themselves;
// unexported fields are never printed.
func Write(w io.Writer, v any) {
	var b strings.Builder
	write(&b, reflect.ValueOf(v), 0, true)
	_, _ = io.WriteString(w, b.String())
}

// String is Write to a string.
func String(v any) string {
	var b strings.Builder
	Write(&b, v)
	return b.String()
}

const maxDepth = 6

var (
	formatterType = reflect.TypeFor[fmt.Formatter]()
	stringerType  = reflect.TypeFor[fmt.Stringer]()
	errorType     = reflect.TypeFor[error]()
)

func write(b *strings.Builder, v reflect.Value, depth int, top bool) {
	if !v.IsValid() {
		b.WriteString("<nil>")
		return
	}
	if depth > maxDepth {
		b.WriteString("…")
		return
	}
	t := v.Type()
	// The top value is the one whose Format called us: do not call it again.
	if !top && v.CanInterface() {
		if t.Implements(formatterType) || t.Implements(errorType) || t.Implements(stringerType) {
			if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface || v.Kind() == reflect.Map) && v.IsNil() {
				b.WriteString("<nil>")
				return
			}
			fmt.Fprintf(b, "%v", v.Interface())
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("<nil>")
			return
		}
		if v.Kind() == reflect.Pointer {
			b.WriteByte('&')
		}
		write(b, v.Elem(), depth+1, top && v.Kind() == reflect.Pointer)
	case reflect.Struct:
		b.WriteString(t.String())
		b.WriteByte('{')
		first := true
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if !first {
				b.WriteByte(' ')
			}
			first = false
			b.WriteString(f.Name)
			b.WriteByte(':')
			write(b, v.Field(i), depth+1, false)
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			fmt.Fprintf(b, "[%d bytes]", v.Len())
			return
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(' ')
			}
			write(b, v.Index(i), depth+1, false)
		}
		b.WriteByte(']')
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		b.WriteString("map[")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			write(b, k, depth+1, false)
			b.WriteByte(':')
			write(b, v.MapIndex(k), depth+1, false)
		}
		b.WriteByte(']')
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		b.WriteString(t.String())
	default:
		if v.CanInterface() {
			fmt.Fprintf(b, "%v", v.Interface())
		} else {
			b.WriteString("?")
		}
	}
}
