package embedded

import (
	"fmt"
	"testing"

	"go.uber.org/zap"
)

// TestConfigValidateNamesEachSetting: partitions must be at least one and
// the port a port (0 picks a free one); each problem names its setting.
func TestConfigValidateNamesEachSetting(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string // "": valid
	}{
		{Config{Partitions: 1}, ""},
		{Config{Partitions: 4, Port: 65535}, ""},
		{Config{Partitions: 0}, "[kafka.embedded.partitions must be >= 1, got 0]"},
		{Config{Partitions: 1, Port: -1}, "[kafka.embedded.port -1 is not a port]"},
		{Config{Partitions: 1, Port: 65536}, "[kafka.embedded.port 65536 is not a port]"},
		{Config{Partitions: -2, Port: 70000}, "[kafka.embedded.partitions must be >= 1, got -2 kafka.embedded.port 70000 is not a port]"},
	} {
		errs := tt.cfg.Validate()
		if got := fmt.Sprint(errs); (tt.want == "" && len(errs) != 0) || (tt.want != "" && got != tt.want) {
			t.Errorf("%+v: got %s, want %q", tt.cfg, got, tt.want)
		}
	}
}

// TestConfiguredBrokersStartNothing: with configured brokers the cluster
// is those brokers: Start launches nothing, Addrs returns them (a copy),
// and Stop has nothing to stop.
func TestConfiguredBrokersStartNothing(t *testing.T) {
	brokers := []string{"kafka-1:9092", "kafka-2:9092"}
	c := NewCluster(brokers, Config{Partitions: 1}, 0, zap.NewNop())
	if c.Embedded() {
		t.Fatal("configured brokers reported as embedded")
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := c.Addrs()
	if fmt.Sprint(got) != fmt.Sprint(brokers) || c.Fake() != nil {
		t.Fatalf("addrs %v, fake %v; want the configured brokers and no embedded broker", got, c.Fake())
	}
	got[0] = "changed"
	brokers[1] = "changed too"
	if c.Addrs()[0] != "kafka-1:9092" || c.Addrs()[1] != "kafka-2:9092" {
		t.Fatalf("the cluster's addresses are shared with its caller: %v", c.Addrs())
	}
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
}
