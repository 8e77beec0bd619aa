#!/usr/bin/env bash
# docs/workbook-*.png: a printed page of each workbook, as LibreOffice Calc prints it.
# Needs soffice and pdftoppm (apt-get install libreoffice-calc-nogui poppler-utils
# fonts-noto-cjk). Usage: bash scripts/workbook_screenshots.sh (from the repository root).
set -euo pipefail
cmscore=${CMSCORE:-.venv/bin/cmscore}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/cmscore.db out=$work/out
for m in 05 06 07 08 09 10; do
  "$cmscore" score "examples/2026-$m.xlsx" --db "$db" --out "$out" --quiet >/dev/null
done
"$cmscore" grade --months 6 --end 2026-10 --db "$db" --out "$out" --quiet >/dev/null
"$cmscore" payroll --month 2026-10 --supervisors examples/supervisors/主管人员.csv \
  --db "$db" --out "$out" --quiet >/dev/null
cp -r src/cmscore/rules/shipped "$work/新规则"
sed -i '0,/rate: 2.5$/s//rate: 3/' "$work/新规则/1-zhihang.yaml"
"$cmscore" diff --rules "$work/新规则" --months 2026-09..2026-10 --db "$db" --out "$out" \
  --quiet >/dev/null
"$cmscore" summary --year 2026 --db "$db" --out "$out" >/dev/null
soffice "-env:UserInstallation=file://$work/profile" --headless --convert-to pdf \
  --outdir "$work/pdf" "$out"/scores-2026-10.xlsx "$out"/公示-2026-10.xlsx "$out"/grades-2026-10.xlsx \
  "$out"/payroll-2026-10.xlsx "$out"/diff-2026-09_2026-10.xlsx "$out"/summary-2026.xlsx >/dev/null
shot() {  # workbook, page, name
  pdftoppm -r 80 -png -f "$2" -l "$2" -singlefile "$work/pdf/$1.pdf" "docs/workbook-$3"
}
shot scores-2026-10 1 scores
shot scores-2026-10 4 scores-detail
shot 公示-2026-10 4 notice
shot grades-2026-10 1 grades
shot payroll-2026-10 1 payroll
shot diff-2026-09_2026-10 1 diff
shot summary-2026 1 summary
ls -l docs/workbook-*.png
