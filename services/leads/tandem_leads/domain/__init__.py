"""The leads domain in plain Python (no I/O): what a lead is and how it is checked
(`leads`), deduplicated (`dedupe`), scored (`scoring`), routed (`assignment`) and who
may see it (`access`)."""
