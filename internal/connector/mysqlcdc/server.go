package mysqlcdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Errors a user must act on; the wrapped messages say how.
var (
	ErrBinlogOff      = errors.New("binary logging is off")
	ErrBinlogFormat   = errors.New("binlog format is not ROW")
	ErrPrivileges     = errors.New("missing replication privileges")
	ErrPositionPurged = errors.New("binlog position no longer on the server")
)

// server is what the reader learned about the server before streaming.
type server struct {
	addr    string
	user    string
	pass    string
	flavor  string // "mysql" or "mariadb"
	version string
	loc     *time.Location // TIMESTAMP values are written in the server's time zone
}

// openDB opens the DSN (go-sql-driver form) with utf8mb4 and raw text
// values: the snapshot renders the server's own text of every value.
func openDB(ctx context.Context, dsn string) (*sql.DB, *mysql.Config, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("mysqlcdc: dsn %q: %w (want user:password@tcp(host:port)/)", dsn, err)
	}
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["charset"] = "utf8mb4"
	c.ParseTime = false
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return nil, nil, fmt.Errorf("mysqlcdc: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("mysqlcdc: connect to %s: %w", c.Addr, err)
	}
	return db, c, nil
}

// checkServer reads the server's flavor and time zone and checks that its
// binlog can feed Maxwell-shaped changes: on, ROW format, FULL row images,
// and that the user may read it.
func checkServer(ctx context.Context, db *sql.DB, c *mysql.Config) (*server, error) {
	s := &server{addr: c.Addr, user: c.User, pass: c.Passwd}
	var logBin int
	var format, image, tz, sysTZ, offset string
	err := db.QueryRowContext(ctx, "SELECT VERSION(), @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image, "+
		"@@GLOBAL.time_zone, @@system_time_zone, TIME_FORMAT(TIMEDIFF(NOW(), UTC_TIMESTAMP()), '%H:%i')").
		Scan(&s.version, &logBin, &format, &image, &tz, &sysTZ, &offset)
	if err != nil {
		return nil, fmt.Errorf("mysqlcdc: read server variables on %s: %w", c.Addr, err)
	}
	s.flavor = "mysql"
	if strings.Contains(strings.ToLower(s.version), "mariadb") {
		s.flavor = "mariadb"
	}
	if logBin == 0 {
		return nil, fmt.Errorf("mysqlcdc: %w on %s (%s): start the server with binary logging on "+
			"(my.cnf [mysqld]: log_bin=binlog, server_id=1, binlog_format=ROW; MySQL 8 has it on by default unless started with --skip-log-bin), then run again",
			ErrBinlogOff, c.Addr, s.version)
	}
	if !strings.EqualFold(format, "ROW") {
		return nil, fmt.Errorf("mysqlcdc: %w on %s: binlog_format is %s; set binlog_format=ROW in my.cnf [mysqld] "+
			"(or SET GLOBAL binlog_format='ROW', which applies to new connections only), then run again",
			ErrBinlogFormat, c.Addr, format)
	}
	if !strings.EqualFold(image, "FULL") {
		return nil, fmt.Errorf("mysqlcdc: %w on %s: binlog_row_image is %s, want FULL (Maxwell's data and old need whole rows); "+
			"set binlog_row_image=FULL in my.cnf [mysqld] (or SET GLOBAL binlog_row_image='FULL'), then run again",
			ErrBinlogFormat, c.Addr, image)
	}
	s.loc = serverLocation(tz, sysTZ, offset)
	// SHOW MASTER STATUS needs REPLICATION CLIENT (MariaDB: BINLOG MONITOR),
	// the same grant the binlog position of a snapshot needs.
	if _, err := binlogPosition(ctx, db); err != nil {
		if perr := privilegeError(err, c.User, c.Addr); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if !canReplicate(ctx, db) {
		// Said now, not after a snapshot that could not be followed.
		return nil, fmt.Errorf("mysqlcdc: %w for user %q on %s: no REPLICATION SLAVE grant (needed to read the binlog); run as an admin: "+
			"GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%s'@'%%'",
			ErrPrivileges, c.User, c.Addr, c.User)
	}
	return s, nil
}

// canReplicate reads the user's grants for REPLICATION SLAVE (or ALL). When
// they cannot be judged (roles, an unreadable answer) it says yes and the
// binlog dump itself reports a refusal.
func canReplicate(ctx context.Context, db *sql.DB) bool {
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return true
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if rows.Scan(&g) != nil {
			return true
		}
		u := strings.ToUpper(g)
		onAll := strings.Contains(u, " ON *.* ")
		switch {
		case onAll && (strings.Contains(u, "ALL PRIVILEGES") || strings.Contains(u, "REPLICATION SLAVE") ||
			strings.Contains(u, "REPLICATION REPLICA")):
			return true
		case !strings.Contains(u, " ON "):
			return true // a role granted to the user: its privileges are not listed here
		}
	}
	return rows.Err() != nil
}

// privilegeError turns an access-denied error into the grant to run.
func privilegeError(err error, user, addr string) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && (me.Number == 1227 || me.Number == 1044 || me.Number == 1045 || me.Number == 1142) {
		return fmt.Errorf("mysqlcdc: %w for user %q on %s: %s; run as an admin: "+
			"GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%s'@'%%' (MariaDB also accepts BINLOG MONITOR for REPLICATION CLIENT)",
			ErrPrivileges, user, addr, me.Message, user)
	}
	return nil
}

// serverLocation is the zone the server writes TIMESTAMP values in:
// @@time_zone when it names a zone, else the system zone, else the
// server's current UTC offset (abbreviations like CST are ambiguous).
func serverLocation(tz, sysTZ, offset string) *time.Location {
	if tz != "SYSTEM" {
		if l, err := time.LoadLocation(tz); err == nil {
			return l
		}
		offset = tz
	} else if l, err := time.LoadLocation(sysTZ); err == nil && sysTZ != "" {
		return l
	}
	var sign, h, m = 1, 0, 0
	o := strings.TrimPrefix(offset, "+")
	if strings.HasPrefix(o, "-") {
		sign, o = -1, o[1:]
	}
	if _, err := fmt.Sscanf(o, "%d:%d", &h, &m); err != nil {
		return time.UTC
	}
	secs := sign * (h*3600 + m*60)
	if secs == 0 {
		return time.UTC
	}
	return time.FixedZone(offset, secs)
}

// binlogPosition is the server's current binlog file and position.
func binlogPosition(ctx context.Context, q queryer) (Position, error) {
	var p Position
	rows, err := q.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		// MySQL 8.4 renamed it.
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1064 {
			rows, err = q.QueryContext(ctx, "SHOW BINARY LOG STATUS")
		}
	}
	if err != nil {
		return p, fmt.Errorf("mysqlcdc: read binlog position: %w", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return p, fmt.Errorf("mysqlcdc: %w: SHOW MASTER STATUS is empty; start the server with log_bin", ErrBinlogOff)
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return p, fmt.Errorf("mysqlcdc: read binlog position: %w", err)
	}
	p.File = string(vals[0])
	if _, err := fmt.Sscan(string(vals[1]), &p.Pos); err != nil {
		return p, fmt.Errorf("mysqlcdc: binlog position %q: %w", vals[1], err)
	}
	for i, c := range cols {
		if strings.EqualFold(c, "Executed_Gtid_Set") {
			// MySQL: the executed set at exactly this position (MariaDB
			// has no such column; see gtidSetAt).
			p.GTIDSet = strings.ReplaceAll(strings.ReplaceAll(string(vals[i]), "\n", ""), " ", "")
		}
	}
	return p, rows.Err()
}

// binlogFiles lists the binlog files the server still has.
func binlogFiles(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("mysqlcdc: list binlogs: %w", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]bool{}
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("mysqlcdc: list binlogs: %w", err)
		}
		out[string(vals[0])] = true
	}
	return out, rows.Err()
}
