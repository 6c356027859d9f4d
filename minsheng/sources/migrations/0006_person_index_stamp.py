import uuid

from django.db import migrations, models

# Every statement that writes the person table gives the stamp a new random token
# (PostgreSQL: once per statement; SQLite has row triggers only: once per row).
PG = """
CREATE FUNCTION person_index_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sources_personindexstamp SET token = md5(random()::text || clock_timestamp()::text);
    RETURN NULL;
END $$;
CREATE TRIGGER person_index_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON residents_person FOR EACH STATEMENT EXECUTE FUNCTION person_index_stamp();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS person_index_stamp ON residents_person;
DROP FUNCTION IF EXISTS person_index_stamp();
"""
SQLITE_EVENTS = ("insert", "update", "delete")


def install(apps, schema_editor):
    stamp = apps.get_model("sources", "PersonIndexStamp")
    stamp.objects.create(pk=1, token=uuid.uuid4().hex)
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PG)
            return
        for event in SQLITE_EVENTS:
            cursor.execute(
                f"CREATE TRIGGER person_index_stamp_{event} AFTER {event.upper()} "
                "ON residents_person BEGIN UPDATE sources_personindexstamp "
                "SET token = lower(hex(randomblob(16))); END"
            )


def uninstall(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PG_DROP)
            return
        for event in SQLITE_EVENTS:
            cursor.execute(f"DROP TRIGGER IF EXISTS person_index_stamp_{event}")


class Migration(migrations.Migration):

    dependencies = [
        ("sources", "0005_grid_census_person_category"),
    ]

    operations = [
        migrations.CreateModel(
            name="PersonIndexStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
