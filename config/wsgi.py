import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()
# What is loaded now (Django, the apps, their URLs and models) lives as long as the worker:
# out of the collector's full passes, which would otherwise walk it all and pause a request
# now and then.
gc.freeze()
