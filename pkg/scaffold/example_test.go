package scaffold_test

import (
	"fmt"

	"github.com/consumerkit/consumerkit/pkg/scaffold"
)

func ExampleNamesOf() {
	n, err := scaffold.NamesOf("payment-audit")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.Type, n.Constructor, n.Const, n.Event, n.Param, n.File, n.TestFile)
	_, err = scaffold.NamesOf("audit-linux")
	fmt.Println(err)
	// Output:
	// PaymentAudit NewPaymentAudit PaymentAuditName PaymentAuditEvent paymentAudit payment_audit.go payment_audit_test.go
	// handler name "audit-linux": its file audit_linux.go would build on one platform only (it ends in an operating system or architecture)
}

func ExampleHandler_Validate() {
	h := scaffold.Handler{Name: "payment-audit", Topic: "payments", Ordering: "key", Batch: true}
	fmt.Println(h.Validate())
	h.Batch, h.Workers = false, 8
	fmt.Println(h.Validate(), h.Subscription().Workers)
	// Output:
	// --batch with --ordering key: a batch is a run of one partition's messages, so it needs partition ordering
	// <nil> 8
}
