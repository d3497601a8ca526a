package manifest

import "testing"

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Animales", "animales"},
		{"animales", "animales"},
		{"Ñandú", "nandu"},
		{"cuentos_cortos", "cuentos cortos"},
		{"Cuentos_Cortos", "cuentos cortos"},
		{"  cuentos -- cortos!! ", "cuentos cortos"},
		{"Él Niño", "el nino"},
		{"Straße", "strasse"},
		{"Ça va", "ca va"},
		{"Chistes 2", "chistes 2"},
		{"日本語", "日本語"},
		{"", ""},
		{"_-_", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
