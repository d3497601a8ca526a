package spoken

import (
	"strconv"
	"strings"
)

var (
	esUnits = []string{"cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
		"diez", "once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve",
		"veinte", "veintiuno", "veintidós", "veintitrés", "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho", "veintinueve"}
	esTens     = []string{"", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"}
	esHundreds = []string{"", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos", "seiscientos", "setecientos", "ochocientos", "novecientos"}

	enUnits = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
		"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	enTens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// numberWords reads a string of digits in a language: "3" → "tres" or
// "three", "10" → "diez" or "ten", "21" → "veintiuno" or "twenty one". A
// number with a leading zero ("007") is read digit by digit, and one over
// 999 999 is left in digits.
func numberWords(lang, digits string) string {
	if len(digits) > 1 && digits[0] == '0' {
		var out []string
		for _, d := range digits {
			out = append(out, numberWords(lang, string(d)))
		}
		return strings.Join(out, " ")
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > 999999 {
		return digits
	}
	if lang == "es" {
		return esNumber(n)
	}
	return enNumber(n)
}

func esNumber(n int) string {
	switch {
	case n < 30:
		return esUnits[n]
	case n < 100:
		if n%10 == 0 {
			return esTens[n/10]
		}
		return esTens[n/10] + " y " + esUnits[n%10]
	case n == 100:
		return "cien"
	case n < 1000:
		if n%100 == 0 {
			return esHundreds[n/100]
		}
		return esHundreds[n/100] + " " + esNumber(n%100)
	}
	var head string
	switch th := n / 1000; th {
	case 1:
		head = "mil"
	default:
		// "uno" before "mil" is "un": veintiún mil, treinta y un mil.
		w := esNumber(th)
		switch {
		case strings.HasSuffix(w, "veintiuno"):
			w = strings.TrimSuffix(w, "veintiuno") + "veintiún"
		case strings.HasSuffix(w, "uno"):
			w = strings.TrimSuffix(w, "uno") + "un"
		}
		head = w + " mil"
	}
	if n%1000 == 0 {
		return head
	}
	return head + " " + esNumber(n%1000)
}

func enNumber(n int) string {
	switch {
	case n < 20:
		return enUnits[n]
	case n < 100:
		if n%10 == 0 {
			return enTens[n/10]
		}
		return enTens[n/10] + " " + enUnits[n%10]
	case n < 1000:
		if n%100 == 0 {
			return enUnits[n/100] + " hundred"
		}
		return enUnits[n/100] + " hundred " + enNumber(n%100)
	}
	head := enNumber(n/1000) + " thousand"
	if n%1000 == 0 {
		return head
	}
	return head + " " + enNumber(n%1000)
}

// numberWordSet holds every word numberWords uses in a language, so that
// the plural rules leave numbers alone ("tres cerditos" has no singular).
var numberWordSet = func() map[string]map[string]bool {
	sets := map[string]map[string]bool{"es": {"un": true, "una": true, "mil": true}, "en": {"thousand": true, "hundred": true}}
	for _, lang := range []string{"es", "en"} {
		for n := range 1000 {
			for _, w := range strings.Fields(numberWords(lang, strconv.Itoa(n))) {
				sets[lang][w] = true
			}
		}
	}
	delete(sets["es"], "y")
	return sets
}()

func isNumberWord(lang, w string) bool {
	return numberWordSet[lang][w] || allDigits(w)
}

// isNumber reports a number in digits or in Spanish or English words.
func isNumber(w string) bool { return isNumberWord("es", w) || isNumberWord("en", w) }
