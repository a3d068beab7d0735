package mock

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// OpenMySQL opens a MySQL/MariaDB server from a go-sql-driver DSN such as
// "user:pass@tcp(127.0.0.1:3306)/" and checks that it answers.
func OpenMySQL(ctx context.Context, dsn string) (*sql.DB, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mock: --dsn %q: %w (want user:password@tcp(host:port)/)", dsn, err)
	}
	// The shop's names and comments are Chinese: utf8mb4 end to end.
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["charset"] = "utf8mb4"
	c.Loc = time.UTC
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("mock: mysql: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("mock: mysql at %s: %w", c.Addr, err)
	}
	return db, nil
}

// InitMySQL (re)creates the databases gmall and gmall_config, loads the
// seed dimension rows, the config rows and users 1..users (registered before
// now, as ExistingUserRow makes them). Existing databases of those names are
// dropped first.
func InitMySQL(ctx context.Context, db *sql.DB, users int, now int64, loc *time.Location) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mock: mysql: %w", err)
	}
	defer conn.Close()
	stmts := []string{"DROP DATABASE IF EXISTS `" + BusinessDB + "`", "DROP DATABASE IF EXISTS `" + ConfigDB + "`"}
	for _, f := range []string{GmallDDLFile, GmallSeedFile, ConfigSQLFile} {
		stmts = append(stmts, Statements(SQLFile(f))...)
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("mock: mysql init: %w\nstatement: %.200s", err, s)
		}
	}
	t := TableByName("user_info")
	var b []byte
	for lo := 1; lo <= users; lo += 500 {
		b = append(b[:0], "INSERT INTO `gmall`.`user_info` VALUES "...)
		for id := lo; id < lo+500 && id <= users; id++ {
			if id > lo {
				b = append(b, ',')
			}
			row := ExistingUserRow(int64(id), now, loc)
			b = append(b, '(')
			for j := range t.Cols {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendSQL(b, &t.Cols[j], row[j])
			}
			b = append(b, ')')
		}
		if _, err := conn.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("mock: mysql init: users: %w", err)
		}
	}
	return nil
}

// MySQLIDBase returns the largest id of every table the shop inserts into,
// so a run continues after the rows already there.
func MySQLIDBase(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	out := map[string]int64{}
	for _, name := range []string{"user_info", "favor_info", "cart_info", "coupon_use", "order_info", "order_detail",
		"order_detail_activity", "order_detail_coupon", "payment_info", "order_refund_info", "refund_payment", "comment_info"} {
		var n sql.NullInt64
		q := "SELECT MAX(`id`) FROM `" + BusinessDB + "`.`" + name + "`"
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			if strings.Contains(err.Error(), "doesn't exist") {
				return nil, fmt.Errorf("mock: mysql: %w (run `rtdw mock init --to mysql --dsn ...` first)", err)
			}
			return nil, fmt.Errorf("mock: mysql: %w", err)
		}
		out[name] = n.Int64
	}
	return out, nil
}

// MySQLSink runs each transaction of the shop as a real transaction
// (INSERT/UPDATE/DELETE statements between BEGIN and COMMIT) on one
// connection, so a binlog reader sees the same changes in the same order.
// Bootstrap events and app logs are skipped (mock init loads the seed).
type MySQLSink struct {
	conn *sql.Conn
	buf  []byte
}

// NewMySQLSink takes a connection of db for the run.
func NewMySQLSink(ctx context.Context, db *sql.DB) (*MySQLSink, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("mock: mysql: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "USE `"+BusinessDB+"`"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("mock: mysql: %w (run `rtdw mock init --to mysql --dsn ...` first)", err)
	}
	return &MySQLSink{conn: conn}, nil
}

// Write implements Sink.
func (s *MySQLSink) Write(ctx context.Context, ev Event) (int, error) {
	if ev.Txn == nil || ev.Txn.Bootstrap {
		return 0, nil
	}
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("mock: mysql: begin: %w", err)
	}
	for i := range ev.Txn.Changes {
		s.buf = ev.Txn.Changes[i].AppendSQL(s.buf[:0])
		if _, err := tx.ExecContext(ctx, string(s.buf)); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("mock: mysql: %w\nstatement: %.300s", err, s.buf)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("mock: mysql: commit: %w", err)
	}
	return len(ev.Txn.Changes), nil
}

// Flush implements Sink (every transaction is committed when written).
func (s *MySQLSink) Flush(context.Context) error { return nil }

// Close releases the connection.
func (s *MySQLSink) Close() error { return s.conn.Close() }
