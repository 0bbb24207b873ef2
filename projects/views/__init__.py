"""HTML pages for workspaces, members, invitations, projects, sharing and the audit log.

One module per area; each view orchestrates only: permission policy, form, service call,
response. `projects/urls.py` maps the URLs onto them.
"""
