package oneline

import "testing"

func TestCheck(t *testing.T) {
	tests := []struct{ in, want string }{
		{"deploy", ""},
		{"tcp://node.example:15600 udp://[2001:db8::1]:14600", ""},
		{"x\nMatch all", "holds a newline (U+000A) at byte 2"},
		{"a\rb", "holds a carriage return (U+000D) at byte 2"},
		{"ab\x00", "holds a NUL (U+0000) at byte 3"},
		{"a\tb", "holds a tab (U+0009) at byte 2"},
		{"a\x1b[2J", "holds an escape (U+001B) at byte 2"},
		{"a\x7f", "holds a DEL (U+007F) at byte 2"},
		{"é\u0085", "holds a line separator (U+0085) at byte 3"},
		{"a\u2028b", "holds a line separator (U+2028) at byte 2"},
		{"a\x01", "holds a control character (U+0001) at byte 2"},
		{"pass#word", "holds '#' at byte 5, which starts a comment"},
		{"replacement \ufffd character", ""},
		{"a\xffb", "holds a byte that is not UTF-8 at byte 2"},
	}
	for _, tt := range tests {
		got := ""
		if err := Check(tt.in); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Check(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
