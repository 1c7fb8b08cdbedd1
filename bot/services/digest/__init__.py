"""The curators' weekly digest: figures (`figures`), its message (`text`), chart
(`chart`), workbook (`workbook`), and its due work and /digest's building (`weekly`)."""
