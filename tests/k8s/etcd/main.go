// Command etcd is etcd's server, built from go.etcd.io/etcd/server/v3 at
// the version go.mod pins (Debian's etcd-server is too old for the
// kube-apiserver that scripts/k8s-env.sh runs).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
