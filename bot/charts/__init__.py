"""Charts of the evidence: the series behind a root cause, drawn where people read the RCA — PNGs in the
incident thread, ``andon investigate --charts DIR`` and the eval report; sparklines in the terminal.

- ``model``: what a chart shows, as plain data (:class:`~bot.charts.model.Chart`);
- ``evidence``: the series of a report to chart, their points read again from the metrics source
  (:func:`~bot.charts.evidence.evidence_charts`, :func:`~bot.charts.evidence.evidence_sparklines`);
- ``render``: PNGs, with matplotlib imported on the first drawing (:func:`~bot.charts.render.render_png`);
- ``sparkline``: a series in a dozen characters.

Nothing is imported here: the Slack cards need only ``sparkline``, and the CLI loads the rest when it draws."""
