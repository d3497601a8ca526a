package bench

import (
	"os"
	"testing"
)

func TestStatusKB(t *testing.T) {
	t.Parallel()
	status := []byte("Name:\tjokebox\nVmHWM:\t   30212 kB\nVmRSS:\t   24876 kB\nThreads:\t7\nVmBad:\t12 MB\nVmNeg:\t-4 kB\n")
	tests := []struct {
		field  string
		want   int64
		wantOK bool
	}{
		{"VmRSS", 24876, true},
		{"VmHWM", 30212, true},
		{"Threads", 0, false}, // no unit
		{"VmBad", 0, false},   // not kB
		{"VmNeg", -4, false},
		{"VmSwap", 0, false}, // absent
		{"Vm", 0, false},     // a prefix is not the field
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			got, ok := StatusKB(status, tt.field)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("StatusKB(%s) = %d, %v; want %d, %v", tt.field, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestReadMemoryOfThisProcess(t *testing.T) {
	t.Parallel()
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("ReadMemory = %+v; want 0 < RSS ≤ peak", m)
	}
}

func TestKeepReindexLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want bool
	}{
		{"listed 1000 objects", false},
		{"probed 100/8500", false},
		{"probed 1000/8500", true},
		{"probed 8500/8500", true},
		{"time=... level=INFO msg=\"manifest published\"", true},
	}
	for _, tt := range tests {
		if got := keepReindexLine(tt.line); got != tt.want {
			t.Errorf("keepReindexLine(%q) = %v; want %v", tt.line, got, tt.want)
		}
	}
}
