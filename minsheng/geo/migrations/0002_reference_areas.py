from django.db import migrations


def load(apps, schema_editor):
    from minsheng.geo.actions import load_reference_areas

    load_reference_areas(apps.get_model("geo", "Area"))


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
