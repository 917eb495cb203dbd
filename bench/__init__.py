"""The benchmark of issue 8 (`make bench`): load journeys, measured steps, reports."""
