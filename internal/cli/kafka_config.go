package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/rtdw/rtdw/internal/log/kafka"
)

// KafkaConfig is the `kafka:` block of rtdw.yaml (cluster mode).
type KafkaConfig struct {
	Brokers []string `yaml:"brokers"`
	// ReplicationFactor of topics rtdw creates; 0: the broker's default.
	ReplicationFactor int16 `yaml:"replication_factor"`
	// GroupIDPrefix starts every job's consumer group id and every
	// worker's transactional id: group = prefix + job name.
	GroupIDPrefix string `yaml:"group_id_prefix"`
	// TransactionTimeout: the broker aborts a worker's transaction left
	// open this long (a stopped or dead worker); its work is redone.
	TransactionTimeout time.Duration `yaml:"transaction_timeout"`
	// SessionTimeout: a worker silent this long loses its partitions.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// MaxRecordBytes: larger outputs go to the dead-letter topic instead
	// of failing the transaction. At most max_batch_bytes - 64 KiB.
	MaxRecordBytes int `yaml:"max_record_bytes"`
	// MaxBatchBytes bounds a produce batch; it must not exceed the
	// brokers' message.max.bytes (Kafka's default 1048588). Default
	// 1000012, franz-go's and the Java client's.
	MaxBatchBytes int       `yaml:"max_batch_bytes"`
	TLS           KafkaTLS  `yaml:"tls"`
	SASL          KafkaSASL `yaml:"sasl"`
}

// KafkaTLS configures TLS to the brokers.
type KafkaTLS struct {
	Enabled bool `yaml:"enabled"`
	// CAFile verifies the brokers (default: the system roots).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile: a client certificate (mutual TLS).
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// KafkaSASL configures SASL authentication.
type KafkaSASL struct {
	// Mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL).
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
	// PasswordEnv names an environment variable holding the password, to
	// keep it out of the file.
	PasswordEnv string `yaml:"password_env"`
}

func (k *KafkaConfig) validate() error {
	if len(k.Brokers) == 0 {
		return errors.New("mode: kafka needs kafka.brokers, e.g. [\"127.0.0.1:9092\"]")
	}
	if k.GroupIDPrefix == "" {
		k.GroupIDPrefix = "rtdw-"
	}
	if k.TransactionTimeout == 0 {
		k.TransactionTimeout = 10 * time.Second
	}
	if k.SessionTimeout == 0 {
		k.SessionTimeout = 45 * time.Second
	}
	if k.MaxBatchBytes == 0 {
		k.MaxBatchBytes = 1000012
	}
	if k.MaxRecordBytes == 0 {
		k.MaxRecordBytes = min(900000, k.MaxBatchBytes-64<<10)
	}
	switch {
	case k.TransactionTimeout < time.Second:
		return fmt.Errorf("kafka.transaction_timeout: %s is below 1s", k.TransactionTimeout)
	case k.SessionTimeout < time.Second:
		return fmt.Errorf("kafka.session_timeout: %s is below 1s", k.SessionTimeout)
	case k.MaxBatchBytes < 128<<10 || k.MaxBatchBytes > 1<<30:
		return fmt.Errorf("kafka.max_batch_bytes: %d is not in 128 KiB..1 GiB", k.MaxBatchBytes)
	case k.MaxRecordBytes < 1024 || k.MaxRecordBytes > k.MaxBatchBytes-64<<10:
		return fmt.Errorf("kafka.max_record_bytes: %d is not in 1024..max_batch_bytes-64KiB (%d): a record and its batch overhead must fit a batch", k.MaxRecordBytes, k.MaxBatchBytes-64<<10)
	}
	if k.TLS.CertFile != "" && k.TLS.KeyFile == "" || k.TLS.CertFile == "" && k.TLS.KeyFile != "" {
		return errors.New("kafka.tls: cert_file and key_file go together")
	}
	switch strings.ToUpper(k.SASL.Mechanism) {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return fmt.Errorf("kafka.sasl.mechanism: %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASL.Mechanism)
	}
	if k.SASL.Mechanism != "" && k.SASL.Username == "" {
		return errors.New("kafka.sasl: username is required")
	}
	return nil
}

// clientOpts are the franz-go options for TLS and SASL.
func (k *KafkaConfig) clientOpts() ([]kgo.Opt, error) {
	var opts []kgo.Opt
	if k.TLS.Enabled || k.TLS.CAFile != "" || k.TLS.CertFile != "" {
		tc := &tls.Config{ServerName: k.TLS.ServerName, InsecureSkipVerify: k.TLS.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
		if k.TLS.CAFile != "" {
			pem, err := os.ReadFile(k.TLS.CAFile)
			if err != nil {
				return nil, fmt.Errorf("kafka.tls.ca_file: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("kafka.tls.ca_file: no PEM certificates in %s", k.TLS.CAFile)
			}
		}
		if k.TLS.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(k.TLS.CertFile, k.TLS.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("kafka.tls: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if k.SASL.Mechanism != "" {
		pass := k.SASL.Password
		if k.SASL.PasswordEnv != "" {
			v, ok := os.LookupEnv(k.SASL.PasswordEnv)
			if !ok {
				return nil, fmt.Errorf("kafka.sasl.password_env: $%s is not set", k.SASL.PasswordEnv)
			}
			pass = v
		}
		switch strings.ToUpper(k.SASL.Mechanism) {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: k.SASL.Username, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: k.SASL.Username, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: k.SASL.Username, Pass: pass}.AsSha512Mechanism()))
		}
	}
	return opts, nil
}

// open connects the Kafka data plane with the configured security.
func (k *KafkaConfig) open() (*kafka.Log, error) {
	opts, err := k.clientOpts()
	if err != nil {
		return nil, err
	}
	return kafka.Open(kafka.Options{Brokers: k.Brokers, ReplicationFactor: k.ReplicationFactor, ClientOpts: opts})
}
