date_spine AS (
  -- Every covered day of the data window: days before the export's first charge are unknown, not zero.
  {{date_spine spine_start spine_end}}
),
