from django.db import migrations, models

ROWS = 16


def create_rows(apps, schema_editor):
    Row = apps.get_model("edgeprobe_site", "Row")
    Row.objects.bulk_create([Row(name="row-%d" % i) for i in range(1, ROWS + 1)])


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Row",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64, unique=True)),
                ("hits", models.IntegerField(default=0)),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(create_rows, migrations.RunPython.noop),
    ]
