package format

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// Format identifiers, as Flink's 'format' option spells them.
const (
	JSON         = "json"
	Raw          = "raw"
	MaxwellJSON  = "maxwell-json"
	DebeziumJSON = "debezium-json"
	CanalJSON    = "canal-json"
)

// Names lists the format identifiers Lookup knows, sorted.
func Names() []string { return []string{CanalJSON, CSV, DebeziumJSON, JSON, MaxwellJSON, Raw} }

// ChangelogMode is the row kinds a format decodes and encodes.
type ChangelogMode uint8

const (
	// InsertOnly: every row is +I (json, raw). Encoding an update stream
	// into such a format is a plan-time error of the caller (a sink
	// without a changelog format), as in Flink; upsert-kafka, which turns
	// +U into a value and -D into a tombstone, may still use one.
	InsertOnly ChangelogMode = iota
	// AllKinds: +I, -U, +U and -D (the CDC formats).
	AllKinds
)

func (m ChangelogMode) String() string {
	if m == AllKinds {
		return "[+I, -U, +U, -D]"
	}
	return "[+I]"
}

// Decoder decodes record values into rows. A Decoder is not safe for
// concurrent use: one per task.
type Decoder interface {
	// Decode decodes one record value (nil for a Kafka tombstone) into b,
	// reusing b's rows. It returns an *Error when the record cannot be
	// decoded, for the caller to dead-letter with Error() as the reason;
	// with '<format>.ignore-parse-errors' it returns nil instead, with the
	// error in b.Skipped (the caller counts it) and no rows.
	Decode(value []byte, b *Batch) error
}

// Encoder encodes rows into record values. An Encoder is not safe for
// concurrent use: one per task.
type Encoder interface {
	// Append appends the record value of r to dst. null reports a null
	// record value (the raw format's NULL), which the caller writes as a
	// tombstone. Every row is one record, as in Flink.
	Append(dst []byte, r *row.Row) (out []byte, null bool, err error)
}

// Batch is what one record decodes to: its rows in order (none for a
// tombstone, a DDL event, a filtered-out or skipped record; two for an
// update; any number for a Canal message) and its metadata.
//
// Rows and their Values slices are reused by the next Decode into the
// same Batch: a row that must outlive it is copied (row.Row.Clone). The
// values themselves (strings included) are immutable and stay valid.
type Batch struct {
	Rows []row.Row
	Meta Metadata
	// Skipped is the reason the record was skipped by
	// '<format>.ignore-parse-errors' (nil otherwise): the caller counts it.
	Skipped error
	// Nulled counts fields set to NULL by '<format>.ignore-parse-errors'
	// because their values could not be decoded (CDC formats).
	Nulled int
}

// reset empties b for the next record, keeping its capacity.
func (b *Batch) reset() {
	b.Rows = b.Rows[:0]
	b.Meta.reset()
	b.Skipped = nil
	b.Nulled = 0
}

// add appends a row of n NULL values, reusing the Values slice a previous
// record left at that position.
func (b *Batch) add(kind row.RowKind, n int) *row.Row {
	if len(b.Rows) < cap(b.Rows) {
		b.Rows = b.Rows[:len(b.Rows)+1]
	} else {
		b.Rows = append(b.Rows, row.Row{})
	}
	r := &b.Rows[len(b.Rows)-1]
	r.Reset(kind, n)
	return r
}

// Error is a record a format cannot decode, or a row it cannot encode:
// the format, the field of the record (a JSON path such as
// "data.total_amount", "payload.after.create_time", "data[2].id", "op";
// "" for the record as a whole) and the reason. Error() is the text for
// the dead letter's rtdw.reason header.
type Error struct {
	Format string
	Field  string
	Reason string
	Err    error // the underlying error, if any (a *row.FieldError, ...)
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Format + ": " + e.Reason
	}
	return e.Format + ": field " + strconv.Quote(e.Field) + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Format is a configured format of a table: Lookup's result. It is
// immutable and safe for concurrent use; NewDecoder and NewEncoder make
// the per-task codecs.
type Format struct {
	name   string
	prefix string // the options' prefix ("json."), for messages
	schema *row.Schema
	json   row.JSONOptions // value options; IgnoreParseErrors is the format's
	// CDC formats.
	schemaInclude bool           // debezium-json.schema-include
	dbInclude     *regexp.Regexp // canal-json.database.include
	tableInclude  *regexp.Regexp // canal-json.table.include
	raw           *row.RawFormat
	csv           csvOptions // csv.*
}

// Option names, after the "<format>." prefix.
const (
	optIgnoreParseErrors = "ignore-parse-errors"
	optFailOnMissing     = "fail-on-missing-field"
	optTimestampFormat   = "timestamp-format.standard"
	optMapNullKeyMode    = "map-null-key.mode"
	optMapNullKeyLiteral = "map-null-key.literal"
	optDecimalPlain      = "encode.decimal-as-plain-number"
	optIgnoreNullFields  = "encode.ignore-null-fields"
	optJSONParser        = "decode.json-parser.enabled"
	optSchemaInclude     = "schema-include"
	optDatabaseInclude   = "database.include"
	optTableInclude      = "table.include"
	optCharset           = "charset"
	optEndianness        = "endianness"
)

var jsonCommon = []string{optIgnoreParseErrors, optTimestampFormat, optMapNullKeyMode, optMapNullKeyLiteral, optDecimalPlain, optIgnoreNullFields}

// supported lists each format's options (without the prefix), sorted.
var supported = map[string][]string{
	JSON:         sorted(append([]string{optFailOnMissing, optJSONParser}, jsonCommon...)),
	Raw:          {optCharset, optEndianness},
	MaxwellJSON:  sorted(jsonCommon),
	DebeziumJSON: sorted(append([]string{optSchemaInclude}, jsonCommon...)),
	CanalJSON:    sorted(append([]string{optDatabaseInclude, optTableInclude}, jsonCommon...)),
	CSV:          csvOptionNames,
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// LocalTimeZoneOption is Flink's session time zone option. Lookup reads it
// from options when the caller merges the session's configuration in
// (WithLocation does the same in Go); the default is UTC.
const LocalTimeZoneOption = "table.local-time-zone"

// Lookup returns format name ('json', 'csv', 'raw', 'maxwell-json',
// 'debezium-json', 'canal-json') for rows of schema, configured by the
// '<name>.<option>' keys of options (a table's WITH options: other keys
// are the connector's and are ignored, except LocalTimeZoneOption). An
// unknown format, an unknown '<name>.*' option or a bad value is an error
// naming it.
func Lookup(name string, schema *row.Schema, options map[string]string) (*Format, error) {
	return lookup(name, schema, options, "")
}

// lookup reads the format's options as '<keyPrefix><name>.<option>'.
func lookup(name string, schema *row.Schema, options map[string]string, keyPrefix string) (*Format, error) {
	opts, ok := supported[name]
	if !ok {
		return nil, fmt.Errorf("unknown format '%s' (available: %s)", name, strings.Join(Names(), ", "))
	}
	if schema == nil {
		return nil, fmt.Errorf("format '%s': no schema", name)
	}
	f := &Format{name: name, schema: schema, json: row.JSONOptions{MapNullKeyLiteral: "null"}, csv: defaultCSV()}
	prefix := keyPrefix + name + "."
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first bad option reported is the same every time
	for _, k := range keys {
		v := options[k]
		if k == LocalTimeZoneOption {
			loc, err := ParseTimeZone(v)
			if err != nil {
				return nil, fmt.Errorf("'%s' = '%s': %v", k, v, err)
			}
			f.json.Location = loc
			continue
		}
		opt, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if _, found := slices.BinarySearch(opts, opt); !found {
			return nil, fmt.Errorf("format '%s': unsupported option '%s' (supported: %s)", name, k, prefixAll(prefix, opts))
		}
		if err := f.set(opt, v); err != nil {
			return nil, fmt.Errorf("format '%s': '%s' = '%s': %v", name, k, v, err)
		}
	}
	f.prefix = prefix // the decoding options are checked by NewDecoder (a sink may set both)
	if name == CSV {
		if err := f.validateCSV(); err != nil {
			return nil, err
		}
	}
	if name == Raw {
		raw, err := row.NewRawFormat(schema)
		if err != nil {
			return nil, err
		}
		f.raw = raw
	}
	return f, nil
}

func prefixAll(prefix string, opts []string) string {
	var b strings.Builder
	for i, o := range opts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix)
		b.WriteString(o)
	}
	return b.String()
}

// set sets one of the format's options (opt is supported by the format);
// the json.* options are row.JSONOptions'.
func (f *Format) set(opt, v string) error {
	if f.name == CSV {
		return f.setCSV(opt, v)
	}
	var err error
	switch opt {
	case optSchemaInclude:
		f.schemaInclude, err = row.ParseBool(v)
	case optDatabaseInclude, optTableInclude:
		// Flink matches the whole name (Java's Pattern.matches); RE2 syntax.
		var re *regexp.Regexp
		if re, err = regexp.Compile(`^(?:` + v + `)$`); err == nil {
			if opt == optDatabaseInclude {
				f.dbInclude = re
			} else {
				f.tableInclude = re
			}
		}
	case optCharset:
		if !strings.EqualFold(v, "UTF-8") && !strings.EqualFold(v, "UTF8") {
			err = errors.New("only UTF-8 is supported")
		}
	case optEndianness:
		if !strings.EqualFold(v, "big-endian") && !strings.EqualFold(v, "little-endian") { // any case, as Flink
			err = errors.New("want 'big-endian' or 'little-endian'")
		}
	default:
		err = f.json.Set(opt, v)
	}
	return err
}

// FromOptions resolves the format of a table from its WITH options: which
// is "" for 'format', "value" for the value format of a Kafka table
// ('value.format', or 'format' when that is absent, as Flink) and "key"
// for 'key.format'. The format's options are '<format>.<option>' for
// 'format' and 'value.<format>.<option>' / 'key.<format>.<option>' for the
// others.
func FromOptions(schema *row.Schema, options map[string]string, which string) (*Format, error) {
	prefix := ""
	switch which {
	case "":
	case "value", "key":
		prefix = which + "."
	default:
		return nil, fmt.Errorf("FromOptions: which must be \"\", \"value\" or \"key\", not %q", which)
	}
	name, ok := options[prefix+"format"]
	if prefix == "value." {
		if plain, both := options["format"]; both {
			if ok {
				return nil, errors.New("options 'format' and 'value.format' cannot both be set")
			}
			name, ok, prefix = plain, true, ""
		}
	}
	if !ok {
		return nil, fmt.Errorf("option '%sformat' is required", prefix)
	}
	return lookup(name, schema, options, prefix)
}

// WithLocation returns a copy of f whose session time zone (Flink's
// table.local-time-zone) is loc: zoneless texts for TIMESTAMP_LTZ columns
// are read in it, zoned texts for TIMESTAMP columns converted to it, and
// Debezium's wall-clock epoch numbers for TIMESTAMP_LTZ columns read in it.
func (f *Format) WithLocation(loc *time.Location) *Format {
	c := *f
	c.json.Location = loc
	return &c
}

// Name is the format's identifier.
func (f *Format) Name() string { return f.name }

// Schema is the table's physical row type the format decodes.
func (f *Format) Schema() *row.Schema { return f.schema }

// IgnoreParseErrors reports '<format>.ignore-parse-errors'.
func (f *Format) IgnoreParseErrors() bool { return f.json.IgnoreParseErrors }

// Changelog returns the row kinds the format decodes and encodes.
func (f *Format) Changelog() ChangelogMode {
	switch f.name {
	case MaxwellJSON, DebeziumJSON, CanalJSON:
		return AllKinds
	}
	return InsertOnly
}

// NewDecoder returns a decoder for one task. metadata names the readable
// metadata keys the table reads (see ReadableMetadata); the cheap ones are
// always filled, the others only when asked for.
func (f *Format) NewDecoder(metadata ...string) (Decoder, error) {
	if err := f.json.Validate(f.prefix); err != nil {
		return nil, fmt.Errorf("format '%s': %v", f.name, err)
	}
	var want metaWant
	for _, k := range metadata {
		mk, ok := f.metadataKey(k)
		if !ok {
			return nil, fmt.Errorf("format '%s' has no readable metadata '%s' (available: %s)", f.name, k, f.metadataNames())
		}
		want |= mk.want
	}
	switch f.name {
	case JSON:
		return newJSONDecoder(f)
	case Raw:
		return &rawDecoder{f: f.raw}, nil
	case CSV:
		return newCSVDecoder(f), nil
	case MaxwellJSON:
		return newMaxwellDecoder(f, want), nil
	case DebeziumJSON:
		return newDebeziumDecoder(f, want), nil
	case CanalJSON:
		return newCanalDecoder(f, want), nil
	}
	return nil, fmt.Errorf("format '%s' cannot decode", f.name)
}

// NewEncoder returns an encoder for one task.
func (f *Format) NewEncoder() (Encoder, error) {
	switch f.name {
	case JSON:
		return newJSONEncoder(f), nil
	case Raw:
		return rawEncoder{f: f.raw}, nil
	case CSV:
		return &csvEncoder{f: f, c: f.csv}, nil
	case MaxwellJSON, DebeziumJSON, CanalJSON:
		if f.name == DebeziumJSON && f.schemaInclude {
			return nil, errors.New("format 'debezium-json': encoding does not support 'debezium-json.schema-include' = 'true' (as Flink)")
		}
		return newCDCEncoder(f), nil
	}
	return nil, fmt.Errorf("format '%s' cannot encode", f.name)
}

// ParseTimeZone reads a time zone as Flink's table.local-time-zone: an
// IANA name ("Asia/Shanghai"), "UTC", "Z", or a fixed offset "GMT+08:00",
// "UTC+8", "+08:00".
func ParseTimeZone(s string) (*time.Location, error) {
	switch s {
	case "", "UTC", "GMT", "Z":
		return time.UTC, nil
	}
	off := s
	for _, p := range []string{"GMT", "UTC"} {
		if rest, ok := strings.CutPrefix(off, p); ok {
			off = rest
			break
		}
	}
	if len(off) > 1 && (off[0] == '+' || off[0] == '-') {
		h, m, ok := strings.Cut(off[1:], ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := 0, error(nil)
		if ok {
			mm, err2 = strconv.Atoi(m)
		}
		if err1 == nil && err2 == nil && len(h) <= 2 && (!ok || len(m) == 2) && hh <= 18 && mm <= 59 {
			secs := hh*3600 + mm*60
			if off[0] == '-' {
				secs = -secs
			}
			return time.FixedZone(s, secs), nil
		}
		return nil, fmt.Errorf("invalid time zone offset %q", s)
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", s)
	}
	return loc, nil
}
