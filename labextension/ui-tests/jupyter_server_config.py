"""Server config for the UI tests: a real `jupyter lab` on 127.0.0.1 with a token and XSRF checks on.

Everything comes from environment variables set by playwright.config.ts (a free port, a random token,
temporary root/settings/workspace dirs), so a run never touches the user's own Jupyter state.
"""

import os

c = get_config()  # type: ignore[name-defined]  # noqa: F821

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ["JI_UI_PORT"])
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_root = True
c.ServerApp.root_dir = os.environ["JI_UI_ROOT"]
# Auth as a real deployment has it: a token, XSRF checks, no unauthenticated access.
c.IdentityProvider.token = os.environ["JI_UI_TOKEN"]
c.ServerApp.disable_check_xsrf = False
c.ServerApp.allow_unauthenticated_access = False
c.ServerApp.jpserver_extensions = {"jupyter_infer": True}
# Lets the tests call app.commands (as Galata does); no effect on auth.
c.LabApp.expose_app_in_browser = True
# The lab extension built in this checkout, not the copy installed in the environment (the first path wins).
c.LabApp.extra_labextensions_path = [os.environ["JI_UI_LABEXTENSIONS"]]
c.LabApp.user_settings_dir = os.environ["JI_UI_SETTINGS"]
c.LabApp.workspaces_dir = os.environ["JI_UI_WORKSPACES"]
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LanguageServerManager.autodetect = False
c.KernelManager.shutdown_wait_time = 1.0
