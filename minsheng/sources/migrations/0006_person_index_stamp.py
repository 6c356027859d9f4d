import uuid

from django.db import migrations, models

# A write of the person table marks the stamp as written: its token then starts with "w"
# (a fresh random one). The importer that keeps the index it read sets a clean token (hex,
# never "w") once it has read the table or brought its copy up to date, so the next write,
# whoever makes it, changes the token again. PostgreSQL: once per statement. SQLite has row
# triggers only, and any trigger on the table more than doubled the cost of inserting
# persons (10 s instead of 4 for 460,000): there updates and deletes mark the stamp (each
# row looks at the token, only the first of a series writes it), and an insert shows in
# the table's largest id, which the importer compares too (ids only grow: AUTOINCREMENT).
PG = """
CREATE FUNCTION person_index_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sources_personindexstamp
       SET token = 'w' || substr(md5(random()::text || clock_timestamp()::text), 1, 31);
    RETURN NULL;
END $$;
CREATE TRIGGER person_index_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON residents_person FOR EACH STATEMENT EXECUTE FUNCTION person_index_stamp();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS person_index_stamp ON residents_person;
DROP FUNCTION IF EXISTS person_index_stamp();
"""
SQLITE_EVENTS = ("update", "delete")


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
                "ON residents_person WHEN (SELECT token FROM sources_personindexstamp "
                "WHERE id = 1) NOT LIKE 'w%' BEGIN UPDATE sources_personindexstamp "
                "SET token = 'w' || lower(hex(randomblob(15))) WHERE id = 1; END"
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
        # SQLite rebuilds residents_person there (a foreign key added), dropping its
        # triggers: they must be created after it, whatever order the plan takes
        ("residents", "0002_initial"),
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
