"""Reports: the HTML report of a database's assessments."""
