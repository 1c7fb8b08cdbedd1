"""The party's structure: region → local branch → primary branch.

- `queries`: reading it, for the pickers and the features (small paginated queries);
- `csv_format`: the CSV's columns and the row-by-row check;
- `importing`: loading it from CSV (all-or-nothing, idempotent) and the demo structure.
"""
