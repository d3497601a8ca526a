#!/usr/bin/env bash
# make-audio.sh regenerates the spoken sample library (media/) and the test
# fixtures (testdata/audio/) with espeak-ng, lame and ffmpeg:
#
#   apt-get install -y espeak-ng lame ffmpeg
#   scripts/make-audio.sh            # from the repository root
#   scripts/make-audio.sh corpus     # only the probe corpus, testdata/corpus
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
ff() { ffmpeg -nostdin -v error -y "$@"; }
bitexact=(-fflags +bitexact -flags:a +bitexact)

# corpus: the probe's corpus (testdata/corpus, see its README.md): one
# small file for each class of decision shared/audio makes, each at most a
# few KB and a second or two long. Large layouts (a one-hour file, a 1 MB
# cover) are made by the tests at run time (shared/audio/corpus_test.go).
corpus() {
	local c=testdata/corpus
	rm -rf "$c" && mkdir -p "$c"
	# About 3 s: long enough that 128 bytes of ID3v1 are under 2 % of an
	# MP3 (ffprobe counts them as audio).
	espeak-ng -v en-us -s 160 -w "$tmp/c.wav" "A corpus test, for the probe. One, two, three."
	ff -i "$tmp/c.wav" -t 0.5 "$tmp/half.wav"
	local in=(-i "$tmp/c.wav")
	local fast=(-movflags +faststart)
	# Each codec in MP4: only AAC plays.
	ff "${in[@]}" -c:a aac -b:a 32k -ar 22050 "${fast[@]}" -metadata title="AAC in MP4" "${bitexact[@]}" "$c/aac.m4a"
	ff "${in[@]}" -c:a alac -ar 8000 "${fast[@]}" "${bitexact[@]}" "$c/alac.m4a"
	ff "${in[@]}" -c:a libopus -b:a 16k "${fast[@]}" "${bitexact[@]}" "$c/opus.mp4"
	ff "${in[@]}" -c:a flac -ar 8000 -strict -2 "${fast[@]}" "${bitexact[@]}" "$c/flac.mp4"
	ff "${in[@]}" -c:a ac3 -b:a 64k "${fast[@]}" "${bitexact[@]}" "$c/ac3.mp4"
	ff "${in[@]}" -c:a eac3 -b:a 64k "${fast[@]}" "${bitexact[@]}" "$c/eac3.mp4"
	ff "${in[@]}" -c:a libmp3lame -b:a 32k -f mp4 "${fast[@]}" "${bitexact[@]}" "$c/mp3.m4a"
	ff "${in[@]}" -c:a mp2 -b:a 64k "${fast[@]}" "${bitexact[@]}" "$c/mp2.mp4"
	# Video: with no audio track, and with AAC (the audio track decides).
	ff -f lavfi -i color=c=black:s=32x32:r=5:d=1 -c:v mpeg4 -an "${fast[@]}" "${bitexact[@]}" "$c/video.mp4"
	ff -f lavfi -i color=c=black:s=32x32:r=5:d=1 "${in[@]}" -shortest -c:v mpeg4 -c:a aac -b:a 32k "${fast[@]}" "${bitexact[@]}" "$c/video-aac.mp4"
	# Bit rates and layouts in MP4: below, at and above 16–384 kbps; moov
	# at the end; fragmented; 5.1; a rate Alexa does not play; QuickTime.
	ff "${in[@]}" -c:a aac -b:a 8k -ar 8000 "${bitexact[@]}" "$c/aac-8k-moov-end.m4a"
	ff "${in[@]}" -c:a aac -b:a 32k -ar 22050 -metadata title="Moov at the end" "${bitexact[@]}" "$c/aac-moov-end.m4a"
	ff "${in[@]}" -c:a aac -b:a 8k -ar 8000 -movflags frag_keyframe+empty_moov "${bitexact[@]}" "$c/aac-8k-frag.mp4"
	ff "${in[@]}" -c:a aac -b:a 32k -ar 22050 -movflags frag_keyframe+empty_moov -metadata title="Fragmented" "${bitexact[@]}" "$c/aac-frag.mp4"
	ff "${in[@]}" -c:a aac -b:a 20k -ar 22050 "${fast[@]}" "${bitexact[@]}" "$c/aac-20k.m4a"
	ff -i "$tmp/half.wav" -af "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=c0|BL=c0|BR=c0" -ar 48000 -c:a aac -b:a 392k "${fast[@]}" "${bitexact[@]}" "$c/aac-392k-5.1.m4a"
	ff "${in[@]}" -c:a aac -b:a 32k -ar 32000 "${fast[@]}" "${bitexact[@]}" "$c/aac-32khz.m4a"
	ff "${in[@]}" -c:a aac -b:a 32k -ar 44100 -f mov -metadata title="QuickTime AAC" "${bitexact[@]}" "$c/quicktime.m4a"
	# ADTS: below, in and above the bounds; and named .mp3 (aws s3 cp
	# gives it audio/mpeg): the content decides.
	ff "${in[@]}" -c:a aac -b:a 8k -ar 8000 -f adts "${bitexact[@]}" "$c/adts-8k.aac"
	ff "${in[@]}" -c:a aac -b:a 32k -ar 22050 -f adts "${bitexact[@]}" "$c/adts.aac"
	ff -i "$tmp/half.wav" -af "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=c0|BL=c0|BR=c0" -ar 48000 -c:a aac -b:a 392k -f adts "${bitexact[@]}" "$c/adts-392k-5.1.aac"
	ff "${in[@]}" -c:a aac -b:a 32k -ar 22050 -f adts "${bitexact[@]}" "$c/adts-named.mp3"
	# MP3: a free-format stream (above any bit rate index), VBR with no
	# Xing header, 40 KB of zeros before the frames, MP3 inside WAV.
	lame --quiet --freeformat -b 448 -m m --resample 48 "$tmp/half.wav" "$c/freeformat.mp3"
	lame --quiet -V 7 -B 64 -t -m m --resample 22.05 "$tmp/c.wav" "$c/vbr-no-xing.mp3"
	lame --quiet -b 32 -m m --resample 22.05 "$tmp/c.wav" "$tmp/plain.mp3"
	{ head -c 40960 /dev/zero; cat "$tmp/plain.mp3"; } >"$c/zeros.mp3"
	ff "${in[@]}" -c:a libmp3lame -b:a 32k -ar 22050 -f wav "${bitexact[@]}" "$c/riff.mp3"
	# Tags: ID3v2.3 (LAME), ID3v2.4 (ffmpeg), ID3v1 only, and languages.
	lame --quiet -b 32 -m m --resample 22.05 --tt "Tres" --tv TLAN=spa "$tmp/c.wav" "$c/id3v23-spa.mp3"
	ff -i "$tmp/plain.mp3" -c copy -id3v2_version 4 -metadata title="Cuatro" -metadata language=fra "${bitexact[@]}" "$c/id3v24-fra.mp3"
	lame --quiet -b 32 -m m --resample 22.05 --id3v1-only --tt "Solo uno" "$tmp/c.wav" "$c/id3v1.mp3"
	ff -i "$tmp/plain.mp3" -c copy -id3v2_version 3 -metadata title="Garbage" -metadata language=xx1 "${bitexact[@]}" "$c/lang-xx1.mp3"
	ff -i "$tmp/plain.mp3" -c copy -id3v2_version 3 -metadata title="Dos letras" -metadata language=es "${bitexact[@]}" "$c/lang-es.mp3"
	# Playlists: refused (jokebox plays files from its bucket).
	printf '[playlist]\nFile1=https://example.com/a.mp3\nNumberOfEntries=1\n' >"$c/list.pls"
	printf '#EXTM3U\nhttps://example.com/a.mp3\n' >"$c/list.m3u"
	du -sh "$c"
}
if [[ ${1:-} == corpus ]]; then
	corpus
	exit
fi

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

corpus
du -sh media "$d"
