# SPDX-License-Identifier: GPL-2.0
#
# Bar chart of the benchmark's ratios to dm-linear, one group of bars per
# configuration, one bar per fio job; the timed run above, the icount run
# below. Run by scripts/bench/report.sh:
#   gnuplot -e "dat='ratios.dat'; out='benchmarks.png'; timed=1; icount=1" ratios.gp
# ratios.dat: "label" then 6 timed and 6 icount ratios ("-" = not run).

set terminal pngcairo size 1400,1000 font "DejaVu Sans,10"
set output out
set termoption noenhanced
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:1.6]
set ytics 0.1
set grid ytics
set key top right horizontal font ",9"
set xtics rotate by -30 font ",9" nomirror
set ylabel "IOPS ratio to dm-linear (median)"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 lc rgb "black"
set arrow 2 from graph 0, first 0.95 to graph 1, first 0.95 nohead dt 2 lc rgb "dark-red"
set arrow 3 from graph 0, first 0.45 to graph 1, first 0.45 nohead dt 3 lc rgb "dark-blue"

# timed, icount: whether each run is in the data (1 or 0).
set multiplot layout timed + icount,1
if (timed) {
set title "Timed run (TCG, -smp 1): ratio to dm-linear; dashed lines: targets 0.95 (dm-inject) and 0.45 (dm-verify reads)"
plot for [i=2:7] dat using i:xtic(1) title columnhead(i)
}
if (icount) {
set title "icount run (-icount shift=0,sleep=off): ratio to dm-linear"
plot for [i=8:13] dat using i:xtic(1) title columnhead(i)
}
unset multiplot
