"""``interpctf problems``: the open-problems catalogue, with the challenges and lab tasks that instantiate each."""

import json

import typer


def register(app: typer.Typer) -> None:
    @app.command("problems")
    def problems_cmd(category: str = typer.Option(None, "--category", "-c", help="only this category's entries"),
                     as_json: bool = typer.Option(False, "--json", help="print the entries as JSON")):
        """List the open-problems catalogue: id, difficulty (1-3), title and what is linked to each entry."""
        from interpctf.catalogue import default_catalogue
        from interpctf.catalogue_links import listing
        rows = listing(category)
        if as_json:
            typer.echo(json.dumps(rows, indent=1))
            return
        titles = {c.id: c.title for c in default_catalogue().categories}
        current = None
        for row in rows:
            if row["category"] != current:
                current = row["category"]
                typer.echo(f"\n{titles[current]} ({current})")
            linked = [f"challenge {c}" for c in row["links"]["challenges"]] + \
                     [f"lab task {t}" for t in row["links"]["lab_tasks"]]
            typer.echo(f"  {row['id']:<36} {'*' * row['difficulty']:<3} {row['title']}")
            if linked:
                typer.echo(f"  {'':<36}     -> {', '.join(linked)}")
