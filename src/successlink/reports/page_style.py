"""The report page's stylesheet, inlined: system fonts only, so nothing is fetched."""

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa; --accent: #4c5fd5; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
header { border-bottom: 2px solid var(--accent); margin-bottom: 16px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 0 0 6px; }
.meta, .note, figcaption, .detail { color: var(--muted); }
.note { margin: 0 0 10px; font-size: 0.9rem; }
.empty { color: var(--muted); font-style: italic; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
  gap: 12px; }
.figure { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
  background: var(--soft); }
.figure .label { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em;
  color: var(--muted); }
.figure .value { font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.figure .detail { font-size: 0.82rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top;
  text-align: left; }
th { background: var(--soft); font-weight: 600; position: sticky; top: 0; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #fafbfc; }
td ul { margin: 0; padding-left: 1.1em; }
figure { margin: 0 0 28px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.85rem; max-width: 70ch; }
code { font-size: 0.9em; background: var(--soft); padding: 0 3px; border-radius: 3px; }
@media print { main { max-width: none; } th { position: static; } }
"""
