// Reads an export's parquet shards with DuckDB (@duckdb/node-api) and
// prints what it found as JSON, for sftexport's DuckDB read-back test.
// Usage: node duckdb_check.cjs GLOB CHATCOLUMN
const { DuckDBInstance } = require("@duckdb/node-api");

async function main() {
  const [glob, chat] = process.argv.slice(2);
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const src = `read_parquet('${glob.replace(/'/g, "''")}')`;
  const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
  const columns = await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${src})`);
  const count = await rows(`SELECT count(*) AS n FROM ${src}`);
  // PNG byte 25 (1-based) is the IHDR bit depth.
  const depths = await rows(`SELECT DISTINCT substr(hex(images[1].bytes), 49, 2) AS depth FROM ${src} WHERE len(images) > 0`);
  const last = chat === "messages" ? "messages[len(messages)]" : "completion[len(completion)]";
  const targets = await rows(`SELECT ${last}.role AS role, ${last}.content[1].text AS text FROM ${src} ORDER BY image_id`);
  console.log(JSON.stringify({ columns, count: Number(count[0].n), depths: depths.map((d) => d.depth), targets }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
