"""Reports of runs: plots and the self-contained HTML page (`mimetic.report.html`)."""
