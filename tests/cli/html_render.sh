#!/bin/bash
# A self-contained HTML page with both report figures inline (hist_plot's
# and timeline_plot's SVG, from .output/tools/plotsvg) rendered by headless
# Chromium, offline: both laid out at their declared sizes, both painted in
# the screenshot (their own colours inside their boxes), nothing painted
# below them.  Chromium is installed when absent (apt-get, root), else SKIP.
# The screenshot and the page stay in $DS_ARTIFACTS if set, else in
# .output/artifacts/: html_render.png, html_render.html.
# timeout: 600
source "$(dirname "$0")/../lib.sh"

PLOT=$DS_ROOT/.output/tools/plotsvg
INK=$DS_ROOT/.output/tools/pngink
if [[ ! -x $PLOT || ! -x $INK ]]; then
	log_test "html_render" 4 "plotsvg or pngink not built (make tools)"
	exit 4
fi
require_chromium
tmpdir_create TMP
ART=${DS_ARTIFACTS:-$DS_ROOT/.output/artifacts}
mkdir -p "$ART" || exit 1
PAGE=$ART/html_render.html
PNG=$ART/html_render.png

# 4 lanes: the last label holds markup and a byte that is not UTF-8.
if ! "$PLOT" hist "$TMP/hist.svg" || ! "$PLOT" timeline "$TMP/timeline.svg" 40 4; then
	log_test "plotsvg writes both figures" 1
	tests_exit
fi
{
	cat <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dropscope figures</title>
<style>body { margin: 20px; background: #fff; font-family: sans-serif; }
figure { margin: 0 0 24px 0; }</style></head>
<body><h1>dropscope: two figures</h1>
<figure>
EOF
	cat "$TMP/hist.svg"
	echo '</figure><figure>'
	cat "$TMP/timeline.svg"
	echo '</figure></body></html>'
} >"$PAGE"

# The page asks for nothing outside itself (the xmlns is a name, never fetched).
! grep -v 'xmlns="http://www.w3.org/2000/svg"' "$PAGE" | grep -Eqi '(src|href)=|url\(|@import'
log_test "the page is self-contained" $?

t0=${EPOCHREALTIME//[!0-9]/}
html_check_figures "$PAGE" "$PNG" 2
rc=$?
t1=${EPOCHREALTIME//[!0-9]/}
log_test "chromium lays out and paints both figures" $rc
log_info "render: $(((t1 - t0) / 1000)) ms (one chromium run: DOM and screenshot); screenshot: $PNG"
if ((rc != 0)); then
	tests_exit
fi

mapfile -t box <<<"$HTML_BOXES"
read -r hx hy hw hh <<<"${box[0]}"
read -r tx ty tw th <<<"${box[1]}"
# the sizes the SVGs declare: 900x420, and 62 + 4 lanes x 26 + 50
[[ "$hw $hh $tw $th" == "900 420 900 216" ]] && ((ty >= hy + hh))
log_test "figures at their declared sizes, one under the other" $? "${box[*]}"

# colour RRGGBB X Y W H: pixels of that colour (±8) in the box
colour() {
	local n
	read -r n _ < <("$INK" "$PNG" "$2" "$3" "$4" "$5" "$1")
	echo "${n:-0}"
}
bars=$(colour 2e86c1 "$hx" "$hy" "$hw" "$hh")
red=$(colour c0392b "$tx" "$ty" "$tw" "$th")
ticks=$(colour 2e86c1 "$tx" "$ty" "$tw" "$th")
# 3 histogram bins ~5 px wide, the tallest 250 px; a timeline of 3 red bars of ~60 px x 10
((bars >= 500 && red >= 500 && ticks >= 100))
log_test "histogram bars and timeline bars and ticks painted" $? \
	"blue $bars in the histogram, red $red and blue $ticks in the timeline"

read -r pw ph < <("$INK" "$PNG")
below=$((ty + th + 1))
read -r painted total < <("$INK" "$PNG" 0 "$below" "$pw" $((ph - below)))
((total > 0 && painted == 0))
log_test "nothing painted below the figures" $? "$painted of $total pixels"

tests_exit
