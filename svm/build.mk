# svm/: AMD SVM with nested paging.
hv-y += svm/svm.o svm/vmrun.o
