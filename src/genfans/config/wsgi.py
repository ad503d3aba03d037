import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "genfans.config.settings")
application = get_wsgi_application()

# Load the URLconf (and the API it builds) now, then take everything loaded so far out of the
# garbage collector's full passes: they walked every module and model of the app, pausing all
# of a worker's threads for 100-300 ms, which made most of the status poll's p99.
import_module(settings.ROOT_URLCONF)
gc.freeze()
