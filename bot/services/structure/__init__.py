"""The party's structure: region → local branch → primary branch.

- `queries`: reading it, for the pickers and the features (small paginated queries);
- `csv_format`: the CSV's columns and the row-by-row check;
- `files`: reading an uploaded .xlsx or CSV into rows, and the template to fill in;
- `importing`: loading it (all-or-nothing, idempotent) and the demo structure.
"""
