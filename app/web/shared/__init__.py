"""What every audience's pages share: access rules, per-request services, URL parameters,
Jinja filters, the task inbox query, task data reads and the diagram state view."""
