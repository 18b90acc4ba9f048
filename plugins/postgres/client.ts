/**
 * The connection the plugin's calls share: one small pool on the configured database for
 * cluster-wide catalogs (roles, databases), and a pool per database opened on first use,
 * because schemas, tables and their ACLs are only visible from inside their database.
 */
import postgres, { type Sql } from "postgres";
import { type ConnectionSettings, sslOption } from "./config.ts";
import { type Endpoint, PostgresConnectorError, toConnectorError } from "./errors.ts";

export type { Sql };

export interface ServerInfo {
  version: string;
  versionNum: number;
  currentUser: string;
  superuser: boolean;
}

export class PgClient {
  private readonly pools = new Map<string, Sql>();
  private readonly databaseNames = new Map<string, string>();
  info: ServerInfo | undefined;

  constructor(readonly settings: ConnectionSettings) {}

  endpoint(database = this.settings.database): Endpoint {
    const { host, port, user, secrets } = this.settings;
    return { host, port, user, database, secrets };
  }

  private pool(database: string): Sql {
    let sql = this.pools.get(database);
    if (!sql) {
      const s = this.settings;
      sql = postgres({
        host: s.socketPath ? undefined : s.host,
        port: s.port,
        path: s.socketPath,
        user: s.user,
        password: s.password,
        database,
        ssl: sslOption(s),
        max: 3,
        idle_timeout: 30,
        connect_timeout: s.connectTimeout,
        onnotice: () => {},
        connection: { application_name: "baton-edge-postgres" },
      });
      this.pools.set(database, sql);
    }
    return sql;
  }

  /** Runs `work` on a database's pool; every failure comes out as a PostgresConnectorError. */
  async query<T>(doing: string, work: (sql: Sql) => Promise<T>, database = this.settings.database): Promise<T> {
    try {
      return await work(this.pool(database));
    } catch (error) {
      throw toConnectorError(error, this.endpoint(database), doing);
    }
  }

  /** Opens the main pool and learns who we are; fails fast with a clear error. */
  async probe(): Promise<ServerInfo> {
    const [row] = await this.query(
      "connecting",
      (sql) => sql<{ version: string; num: string; user: string; su: boolean }[]>`
      select current_setting('server_version') as version, current_setting('server_version_num') as num,
             current_user as user, (select rolsuper from pg_roles where rolname = current_user) as su`,
    );
    if (!row) throw new PostgresConnectorError("query", "the server returned no row for the connection probe");
    this.info = { version: row.version, versionNum: Number(row.num), currentUser: row.user, superuser: row.su };
    return this.info;
  }

  /** The current name of a database by OID (resource ids hold OIDs so renames and odd names are safe). */
  async databaseName(oid: string): Promise<string> {
    const known = this.databaseNames.get(oid);
    if (known !== undefined) return known;
    const rows = await this.query(
      "looking up a database",
      (sql) => sql<{ datname: string }[]>`select datname from pg_database where oid = ${oid}::oid`,
    );
    const name = rows[0]?.datname;
    if (name === undefined) throw new PostgresConnectorError("not-found", `database with OID ${oid} does not exist`);
    this.databaseNames.set(oid, name);
    return name;
  }

  rememberDatabase(oid: string, name: string): void {
    this.databaseNames.set(oid, name);
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((sql) => sql.end({ timeout: 5 }).catch(() => undefined)));
  }
}
