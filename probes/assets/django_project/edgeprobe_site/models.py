from django.db import models


class Row(models.Model):
    name = models.CharField(max_length=64, unique=True)
    hits = models.IntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)
