package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// DimConfig is the `dim:` block of rtdw.yaml: where dimension tables live
// and how lookups cache them.
//
//	dim:
//	  kind: embedded          # default: the data dir's log store (Pebble)
//	dim:
//	  kind: redis
//	  redis: {addr: 127.0.0.1:6379, password_env: RTDW_REDIS_PASSWORD, db: 0, key_prefix: "gmall:"}
//	  cache: {size: 10000, ttl: 10m}
type DimConfig struct {
	Kind  string         `yaml:"kind"`
	Redis DimRedisConfig `yaml:"redis"`
	Cache DimCacheConfig `yaml:"cache"`
}

// DimRedisConfig is dim.redis.
type DimRedisConfig struct {
	Addr     string `yaml:"addr"`
	Password string `yaml:"password"`
	// PasswordEnv names an environment variable holding the password, to
	// keep it out of the file.
	PasswordEnv string `yaml:"password_env"`
	DB          int    `yaml:"db"`
	KeyPrefix   string `yaml:"key_prefix"`
}

// DimCacheConfig is dim.cache: the lookup cache. TTL is the staleness
// bound: a lookup never serves a value read longer ago than this, even
// when an invalidation is lost.
type DimCacheConfig struct {
	Size int           `yaml:"size"`
	TTL  time.Duration `yaml:"ttl"`
}

func defaultDimConfig() DimConfig {
	return DimConfig{Kind: "embedded", Cache: DimCacheConfig{Size: dim.DefaultCacheSize, TTL: dim.DefaultCacheTTL}}
}

func (d *DimConfig) validate() error {
	switch d.Kind {
	case "", "embedded":
		d.Kind = "embedded"
	case "redis":
		if d.Redis.Addr == "" {
			return errors.New("dim.redis.addr: required with dim.kind: redis (e.g. 127.0.0.1:6379)")
		}
		if d.Redis.DB < 0 {
			return fmt.Errorf("dim.redis.db: %d must not be negative", d.Redis.DB)
		}
		if d.Redis.Password != "" && d.Redis.PasswordEnv != "" {
			return errors.New("dim.redis.password and dim.redis.password_env: set one, not both")
		}
	default:
		return fmt.Errorf("dim.kind: %q is not embedded or redis", d.Kind)
	}
	if d.Cache.Size < 0 {
		return fmt.Errorf("dim.cache.size: %d must not be negative", d.Cache.Size)
	}
	if d.Cache.TTL < 0 {
		return fmt.Errorf("dim.cache.ttl: %s must not be negative", d.Cache.TTL)
	}
	return nil
}

// openDims opens the configured dimension store and the lookup cache over
// it. l is the embedded log (its Pebble store holds embedded dimensions);
// it may be nil with kind redis. Close the cache, then the store.
func openDims(cfg Config, l rlog.Log) (dim.Store, *dim.Cache, error) {
	d := cfg.Dim
	var s dim.Store
	switch d.Kind {
	case "redis":
		pass := d.Redis.Password
		if d.Redis.PasswordEnv != "" {
			v, ok := os.LookupEnv(d.Redis.PasswordEnv)
			if !ok {
				return nil, nil, fmt.Errorf("dim.redis.password_env: $%s is not set", d.Redis.PasswordEnv)
			}
			pass = v
		}
		rs, err := dim.OpenRedis(dim.RedisOptions{Addr: d.Redis.Addr, Password: pass, DB: d.Redis.DB, KeyPrefix: d.Redis.KeyPrefix})
		if err != nil {
			return nil, nil, fmt.Errorf("dim.redis: %w", err)
		}
		s = rs
	default:
		if l == nil || l.StateStore() == nil {
			return nil, nil, errors.New("dim.kind: embedded keeps dimensions in the embedded log's store, which this process has not got (mode: kafka?): use dim.kind: redis")
		}
		ps, err := dim.OpenPebble(l.StateStore())
		if err != nil {
			return nil, nil, err
		}
		s = ps
	}
	c, err := dim.NewCache(s, dim.CacheOptions{Size: d.Cache.Size, TTL: d.Cache.TTL})
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("dim.cache: %w", err)
	}
	return s, c, nil
}
