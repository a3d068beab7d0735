package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"
)

type kafkaDevOptions struct {
	listen     string
	partitions int32
}

func newKafkaDevCmd(g *globals) *cobra.Command {
	o := &kafkaDevOptions{}
	c := &cobra.Command{
		Use:   "kafka-dev",
		Short: "Run a local Kafka-protocol broker (for trying cluster mode, kcat, console tools)",
		Long: `Run a single-broker, Kafka-protocol-compatible cluster (franz-go's kfake) on
--listen, persisting topics, offsets and groups under <data-dir>/kafka-dev so a
restart keeps them. Topics are created on first use with --partitions
partitions. It is a development broker: one process, no replication, no
security; point real Kafka clients (kcat, kafka-console-consumer, franz-go)
at it. Stop with Ctrl-C: a topic auto-created by a client is recorded in
the data dir at a clean stop, so after kill -9 such a topic's records are
on disk but the topic is not (kfake's behaviour); create topics explicitly
(kafka-topics.sh, kcat cannot) when that matters.`,
		Example: `  rtdw kafka-dev --listen 127.0.0.1:9092 --data-dir ./kafka-data
  kcat -b 127.0.0.1:9092 -L`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := g.setup(cmd.Flags().Changed); err != nil {
				return err
			}
			return runKafkaDev(cmd.Context(), g, o)
		},
	}
	c.Flags().StringVar(&o.listen, "listen", "127.0.0.1:9092", "host:port to serve the Kafka protocol on (port 0: any free port)")
	c.Flags().Int32Var(&o.partitions, "partitions", 4, "partitions of auto-created topics")
	return c
}

func runKafkaDev(ctx context.Context, g *globals, o *kafkaDevOptions) error {
	host, portStr, err := net.SplitHostPort(o.listen)
	if err != nil {
		return usagef("--listen %q: %v", o.listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return usagef("--listen %q: bad port", o.listen)
	}
	if o.partitions < 1 {
		return usagef("--partitions must be >= 1")
	}
	dir := filepath.Join(g.dataDir, "kafka-dev")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("kafka-dev data dir: %w", err)
	}
	// kfake takes no lock: two brokers on one dir would overwrite each
	// other's topic list.
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("kafka-dev: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("kafka-dev: %s is in use by another kafka-dev (%w)", dir, err)
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, portStr))
		}),
		kfake.DataDir(dir),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(int(o.partitions)),
		kfake.ClusterID("rtdw-kafka-dev"),
	)
	if err != nil {
		return fmt.Errorf("kafka-dev: %w", err)
	}
	defer c.Close()
	fmt.Fprintf(g.stdout, "kafka-dev: Kafka protocol on %s (data in %s)\n", c.ListenAddrs()[0], dir)
	if f, ok := g.stdout.(interface{ Sync() error }); ok {
		f.Sync()
	}
	<-ctx.Done()
	fmt.Fprintln(g.stderr, "kafka-dev: stopping")
	return nil
}
