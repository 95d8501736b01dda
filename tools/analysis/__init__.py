"""Analysis over telemetry: metric anomaly ranking, change correlation and log-template spikes."""
