#!/usr/bin/env bash
# make-audio.sh regenerates the spoken sample library (media/) and the test
# fixtures (testdata/audio/) with espeak-ng, lame and ffmpeg:
#
#   apt-get install -y espeak-ng lame ffmpeg
#   scripts/make-audio.sh            # from the repository root
#
# Output is deterministic for a given espeak-ng and lame version (espeak-ng
# 1.51 and LAME 3.100 made the committed files): rerunning gives the same bytes.
# Every clip is 22.05 kHz mono MPEG-2 Layer III at 32 kbit/s, about 4 KB a
# second. At that rate a frame is 104 bytes, too small for LAME's Xing/Info
# header, so those files are plain CBR; testdata/audio/vbr.mp3 is the one
# file with a Xing header (VBR, 64 kbit/s cap).
set -euo pipefail

cd "$(dirname "$0")/.."
export LC_ALL=C.UTF-8 # lame reads --tt in the locale's encoding; UTF-8 titles need it

for tool in espeak-ng lame ffmpeg; do
	command -v "$tool" >/dev/null || { echo "make-audio: $tool not installed (apt-get install -y espeak-ng lame ffmpeg)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

max_seconds=8 # media clips must be short: jokes, not stories

# speak VOICE OUT TITLE TEXT [LAME-OPTIONS...]: text → OUT.mp3 with ID3 title
# TITLE (no tag at all when TITLE is empty).
speak() {
	local voice=$1 out=$2 title=$3 text=$4
	shift 4
	mkdir -p "$(dirname "$out")"
	espeak-ng -v "$voice" -s 160 -w "$tmp/x.wav" "$text"
	local opts=(--quiet -b 32 -m m --resample 22.05)
	if (($# > 0)); then opts=(--quiet "$@"); fi
	if [[ -n $title ]]; then opts+=(--tt "$title"); fi
	lame "${opts[@]}" "$tmp/x.wav" "$out"
}

# joke VOICE OUT TITLE TEXT: like speak, and refuses clips over max_seconds.
joke() {
	speak "$@"
	# espeak-ng writes 16-bit mono at 22050 Hz: 44100 bytes a second after a 44-byte header.
	local bytes
	bytes=$(stat -c %s "$tmp/x.wav")
	if ((bytes - 44 > max_seconds * 44100)); then
		echo "make-audio: $2 is longer than ${max_seconds}s; shorten the joke" >&2
		exit 1
	fi
}

rm -rf media # only audio: the Go file that embeds it is sample.go at the root
# Spanish jokes.
joke es "media/chistes/el-pez-y-el-mar.mp3" "El pez y el mar" \
	"—Mamá, ¿qué hace un pez en el mar? —Nada, hijo. Nada."
joke es "media/chistes/el-semaforo.mp3" "El semáforo" \
	"¿Qué le dice un semáforo a otro? No me mires, que me estoy cambiando."
joke es "media/chistes/el-libro-de-matematicas.mp3" "El libro de matemáticas" \
	"¿Por qué está triste el libro de matemáticas? Porque tiene muchos problemas."
joke es "media/chistes/el-filete-nervioso.mp3" "El filete nervioso" \
	"—Camarero, este filete tiene muchos nervios. —Normal, es la primera vez que se lo comen."
joke es "media/chistes/el-colmo-del-jardinero.mp3" "El colmo del jardinero" \
	"¿Cuál es el colmo de un jardinero? Que su novia se llame Rosa y lo deje plantado."
# English jokes.
joke en-us "media/jokes/scarecrow.mp3" "The Outstanding Scarecrow" \
	"Why did the scarecrow win an award? Because he was outstanding in his field."
joke en-us "media/jokes/skeletons.mp3" "Skeletons Never Fight" \
	"Why don't skeletons fight each other? They don't have the guts."
joke en-us "media/jokes/fake-noodle.mp3" "The Fake Noodle" \
	"What do you call a fake noodle? An impasta."
joke en-us "media/jokes/anti-gravity.mp3" "Anti-Gravity" \
	"I'm reading a book about anti-gravity. It's impossible to put down."
joke en-us "media/jokes/gummy bear.mp3" "Gummy Bear" \
	"What do you call a bear with no teeth? A gummy bear."
# Spanish animal jokes: one name with spaces and non-ASCII letters on purpose.
joke es "media/animales/el pato y el ñandú.mp3" "El pato y el ñandú" \
	"—Ñandú, ¿por qué no vuelas? —Porque prefiero ir a pata. —¡Oye, a mi mujer la dejas en paz!"
joke es "media/animales/la-vaca-en-el-terremoto.mp3" "La vaca en el terremoto" \
	"¿Qué hace una vaca en un terremoto? ¡Leche batida!"
joke es "media/animales/el-gusano.mp3" "El gusano viajero" \
	"¿Qué le dice un gusano a otro gusano? Me voy a dar una vuelta a la manzana."

# Test fixtures: tiny, each for one behaviour (see testdata/audio/README.md).
d=testdata/audio
mkdir -p "$d"
rm -f "$d"/*.mp3
speak en-us "$d/short.mp3" "Short Test" "Short test."
speak en-us "$d/notitle.mp3" "" "No title."
speak en-us "$d/vbr.mp3" "Variable Rate" "Variable bit rate." -V 7 -B 64 -m m --resample 22.05
speak en-us "$d/long.mp3" "Long Test" \
	"This is a long test recording. It lasts about twenty seconds, so that tests can pause it, \
wait a little, and resume it from the same place. One, two, three, four, five, six, seven, eight, \
nine, ten. The quick brown fox jumps over the lazy dog. That is the end of the long test recording."
# Bit rates at and beyond Alexa's 16–384 kbps: lame picks the sample rate
# (8 kHz for 8 kbit/s, 16 kHz for 16); 320 kbit/s needs MPEG-1 (44.1 kHz).
speak en-us "$d/rate8.mp3" "Eight Kilobits" "Eight kilobits." -b 8 -m m
speak en-us "$d/rate16.mp3" "Sixteen Kilobits" "Sixteen kilobits." -b 16 -m m
speak en-us "$d/rate320.mp3" "Top Rate" "Top." -b 320 -m m --resample 44.1
printf 'This is a text file, not audio.\nIt is named .mp3 to test rejection.\n' >"$d/text.mp3"

# Recordings for `jokebox add` (cmd/jokebox/add_test.go): formats Alexa does
# not play, one it plays, and two clips 12 dB apart for --normalize.
ff() { ffmpeg -nostdin -v error -y "$@"; }
bitexact=(-fflags +bitexact -flags:a +bitexact)
espeak-ng -v en-us -s 160 -w "$tmp/w.wav" "A wave file."
# AAC in MP4 (fast start, so the indexer's head holds moov): 24 kbit/s plays,
# 8 kbit/s is refused.
ff -i "$tmp/w.wav" -c:a aac -b:a 24k -movflags +faststart -metadata title="AAC Voice" "${bitexact[@]}" "$d/rate24.m4a"
ff -i "$tmp/w.wav" -c:a aac -b:a 8k -ar 8000 -movflags +faststart -metadata title="Eight Kilobit AAC" "${bitexact[@]}" "$d/rate8.m4a"
ff -i "$tmp/w.wav" -ar 11025 -c:a pcm_u8 -metadata title="Wave Title" "${bitexact[@]}" "$d/voice.wav"
espeak-ng -v es -s 160 -w "$tmp/o.wav" "Un archivo opus."
ff -i "$tmp/o.wav" -c:a libopus -b:a 16k -metadata title="Título Opus" "${bitexact[@]}" "$d/voice.opus"
speak en-us "$d/rate128.mp3" "Plain MP3" "Plain." -b 128 -m m --resample 44.1
espeak-ng -v en-us -s 160 -w "$tmp/j.wav" "Why did the bicycle fall over? It was two tired."
ff -i "$tmp/j.wav" -af "volume=16dB,alimiter=limit=0.9:level=false:attack=0.1:release=5" "${bitexact[@]}" "$tmp/loud.wav"
ff -i "$tmp/loud.wav" -af "volume=-12dB" "${bitexact[@]}" "$tmp/quiet.wav"
lame --quiet -b 32 -m m --resample 22.05 --tt "Loud Joke" "$tmp/loud.wav" "$d/loud.mp3"
lame --quiet -b 32 -m m --resample 22.05 --tt "Quiet Joke" "$tmp/quiet.wav" "$d/quiet.mp3"
: >"$d/empty.mp3"

du -sh media "$d"
