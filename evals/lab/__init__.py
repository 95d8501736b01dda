"""The incident lab: a small production-like system (gateway, checkout, payments, inventory, a db
stand-in with a queue, a worker, steady load) with real Prometheus and Alertmanager on loopback,
faults to inject, and an actuator Andon repairs it with. See ``README.md`` here.

Modules: ``topology`` (services, ports), ``state`` (files the processes share), ``services`` (the
processes), ``supervisor`` and ``control`` (process supervision and its API), ``cluster`` (the
replicas as Kubernetes pods and events), ``monitoring``
(Prometheus and Alertmanager), ``loadgen``, ``client`` (operating a running lab), ``faults``,
``actuator``, ``lab`` (up/down/status), ``sources`` (Andon pointed at the lab), ``webhook``,
``experiment`` (one fault end to end), ``learning``, ``transcript`` (the demo's Slack-like view).
"""
