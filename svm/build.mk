# svm/: AMD SVM with nested paging.
hv-y += svm/svm.o svm/caps.o svm/vmcb.o svm/npt.o svm/exit.o svm/platform.o svm/vmrun.o
