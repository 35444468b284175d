"""Reports: the generic self-contained HTML writer (`mimetic.report.html`) and the report of a
training run, its plots and page (`mimetic.report.run.write_run_report`, the `mimetic report` verb)."""
