package wire

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// plan is the precomputed encoding of one request struct type: its string
// fields in the order url.Values.Encode would write them (sorted by name).
type plan struct {
	fields []planField
}

type planField struct {
	name      string
	prefix    string // "name=" and, for every field but the first written, a leading '&'
	index     []int
	offset    uintptr // of the string within the outermost struct
	omitEmpty bool
}

// plans caches one plan per request type. A nil plan means the type has a
// field the fast path does not handle; it is then encoded by go-querystring.
var plans sync.Map // reflect.Type -> *plan

// Encode encodes a request struct (go-querystring `url` tags) to a form body,
// byte for byte as go-querystring followed by url.Values.Encode would. Structs
// made only of string fields (and embedded structs of them) take a fast path
// with a field order computed once per type; anything else goes through
// go-querystring.
func Encode(v any) (string, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "", fmt.Errorf("wire: encode: nil %T", v)
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return "", fmt.Errorf("wire: encode: %T is not a struct", v)
	}
	p := planFor(rv.Type())
	if p == nil {
		return encodeSlow(v)
	}
	var b strings.Builder
	b.Grow(256)
	var base unsafe.Pointer
	if rv.CanAddr() {
		base = rv.Addr().UnsafePointer()
	}
	for _, f := range p.fields {
		var s string
		if base != nil {
			// The plan holds string fields only, each at its offset within
			// rv's type (value-embedded structs only): reading it is what
			// rv.FieldByIndex(f.index).String() does, without reflect's
			// per-field checks.
			s = *(*string)(unsafe.Add(base, f.offset))
		} else {
			s = rv.FieldByIndex(f.index).String()
		}
		if s == "" && f.omitEmpty {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(f.prefix) // "&name=": names are checked at plan time to need no escaping
		} else {
			b.WriteString(f.prefix[1:])
		}
		writeEscaped(&b, s)
	}
	return b.String(), nil
}

func planFor(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{}
	if !collect(t, nil, 0, p) {
		p = nil
	} else {
		sort.SliceStable(p.fields, func(i, j int) bool { return p.fields[i].name < p.fields[j].name })
		for i := 1; i < len(p.fields); i++ {
			if p.fields[i].name == p.fields[i-1].name {
				p = nil // duplicate names: let go-querystring decide
				break
			}
		}
	}
	actual, _ := plans.LoadOrStore(t, p)
	return actual.(*plan)
}

// collect adds t's fields to p; it reports false for a field the fast path
// cannot encode exactly like go-querystring.
func collect(t reflect.Type, index []int, offset uintptr, p *plan) bool {
	for i := range t.NumField() {
		sf := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		tag := sf.Tag.Get("url")
		if tag == "-" {
			continue
		}
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			if !collect(sf.Type, idx, offset+sf.Offset, p) {
				return false
			}
			continue
		}
		if !sf.IsExported() || sf.Type.Kind() != reflect.String || sf.Type.Name() != "string" {
			return false
		}
		if name == "" {
			name = sf.Name
		}
		if url.QueryEscape(name) != name {
			return false
		}
		omit := false
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				omit = true
			case "":
			default:
				return false
			}
		}
		p.fields = append(p.fields, planField{name: name, prefix: "&" + name + "=", index: idx, offset: offset + sf.Offset,
			omitEmpty: omit})
	}
	return true
}

// writeEscaped writes s as url.QueryEscape would, without allocating when s
// needs no escaping.
func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if !unreserved[s[i]] {
			b.WriteString(url.QueryEscape(s))
			return
		}
	}
	b.WriteString(s)
}

// unreserved marks the bytes url.QueryEscape writes as they are.
var unreserved = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
	}
	return t
}()
